package io.fairlane.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.engine.OutputConstraint;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ByteAutomatonTest {

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ByteAutomaton.Program OBJECT = ByteAutomaton.Program.of(OutputConstraint.jsonObject());

    /** Feeds {@code bytes}; the index of the first byte rejected, or -1 when all were read. */
    static int firstRejected(ByteAutomaton a, byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
            if (!a.accept(bytes[i] & 0xFF)) {
                return i;
            }
        }
        return -1;
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Strict JSON: parses to one object, nothing after it, valid UTF-8 throughout. */
    static JsonNode parseStrict(byte[] bytes) throws Exception {
        StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(bytes));
        return JSON.readTree(bytes);
    }

    /**
     * Completes whatever the automaton has read with the first byte of a fixed preference list it accepts, step
     * by step: a witness that the prefix it accepted extends to a complete sentence.
     */
    static byte[] complete(ByteAutomaton a) {
        return complete(a, OBJECT);
    }

    static byte[] complete(ByteAutomaton a, ByteAutomaton.Program program) {
        int[] preference = new int[256];
        int[] first = {0x90, 0xA0, 0x80, '"', '}', ']', ':', '0', 'r', 'u', 'e', 'l', 'a', 's'};
        boolean[] seen = new boolean[256];
        int n = 0;
        for (int b : first) {
            preference[n++] = b;
            seen[b] = true;
        }
        for (int b = 0; b < 256; b++) {
            if (!seen[b]) {
                preference[n++] = b;
            }
        }
        ByteAutomaton trial = new ByteAutomaton(program);
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        for (int step = 0; step < 10_000 && !a.complete(); step++) {
            boolean moved = false;
            for (int b : preference) {
                trial.copyFrom(a);
                if (trial.accept(b)) {
                    a.copyFrom(trial);
                    out.write(b);
                    moved = true;
                    break;
                }
            }
            assertThat(moved).as("some byte continues the prefix").isTrue();
        }
        return out.toByteArray();
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "{}",
        "{\"a\":1}",
        "{\"a\": -0.5e+10, \"b\": [true, false, null, \"x\", {}], \"c\": {\"d\": []}}",
        "{\n  \"name\": \"Zoë\",\n  \"tags\": [\n    \"海\",\n    \"🌊\"\n  ]\n}",
        "{\"esc\": \"\\\" \\\\ \\/ \\b \\f \\n \\r \\t \\u00e9\\uD83C\\uDF0A\"}",
        "{\"n\": [0, -1, 12.25, 3E7, 4e-2, 1.5E+3]}",
        "{\"\": {\"\": {\"\": \"\"}}}"})
    void accept_validObject_readsEveryByteAndCompletesAtTheEnd(String text) throws Exception {
        byte[] bytes = utf8(text);
        parseStrict(bytes);
        ByteAutomaton a = new ByteAutomaton(OBJECT);
        for (int i = 0; i < bytes.length; i++) {
            assertThat(a.complete()).as("complete before byte %d", i).isFalse();
            assertThat(a.accept(bytes[i] & 0xFF)).as("byte %d of %s", i, text).isTrue();
        }
        assertThat(a.complete()).isTrue();
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '`', value = {
        "[1]|0",
        "` {}`|0",
        "`{} `|2",
        "{}}|2",
        "{'a':1}|1",
        "{\"a\":01}|6",
        "{\"a\":1,}|7",
        "{,}|1",
        "{\"a\" 1}|5",
        "{\"a\":-}|6",
        "{\"a\":1.}|7",
        "{\"a\":1e}|7",
        "{\"a\":.5}|5",
        "{\"a\":+1}|5",
        "{\"a\":tru }|8",
        "{\"a\":nul}|8",
        "{\"a\":\"\\q\"}|7",
        "{\"a\":\"\\u12G4\"}|10",
        "{\"a\":[1 2]}|8",
        "{\"a\":[1,]}|8",
        "{\"a\":[}|6",
        "{\"a\":{]}|6",
        "{1:2}|1",
        "{\"a\":NaN}|5",
        "{\"a\":Infinity}|5"})
    void accept_invalidText_rejectsAtTheFirstWrongByte(String text, int at) {
        assertThat(firstRejected(new ByteAutomaton(OBJECT), utf8(text))).isEqualTo(at);
    }

    @ParameterizedTest
    @CsvSource({
        "7b2261223a2201227d, 6",      // a raw control character in a string
        "7b2261223a22c080227d, 6",    // overlong encoding of NUL
        "7b2261223a22eda080227d, 7",  // UTF-16 surrogate encoded in UTF-8
        "7b2261223a22f4908080227d, 7", // past U+10FFFF
        "7b2261223a22ff227d, 6",      // never a UTF-8 byte
        "7b2261223a22e282227d, 8"})   // a sequence cut short by the closing quote
    void accept_malformedUtf8InString_rejected(String hex, int at) {
        byte[] bytes = java.util.HexFormat.of().parseHex(hex);
        assertThat(firstRejected(new ByteAutomaton(OBJECT), bytes)).isEqualTo(at);
    }

    @Test
    void accept_whitespaceRunPastTheLimit_rejected() {
        String run = " ".repeat(OutputConstraint.MAX_WHITESPACE_RUN);
        assertThat(firstRejected(new ByteAutomaton(OBJECT), utf8("{" + run + " "))).isEqualTo(run.length() + 1);
    }

    @Test
    void accept_nestingPastTheLimit_rejected() {
        String open = "{\"a\":".repeat(OutputConstraint.MAX_DEPTH);
        assertThat(firstRejected(new ByteAutomaton(OBJECT), utf8(open + "["))).isEqualTo(open.length());
    }

    @Test
    void accept_toolCall_fixedPartsAndOneOfTheNames() throws Exception {
        ByteAutomaton.Program p = ByteAutomaton.Program.of(OutputConstraint.toolCall(List.of("get", "get_weather")));
        for (String name : List.of("get", "get_weather")) {
            ByteAutomaton a = new ByteAutomaton(p);
            byte[] text = utf8("{\"name\": \"" + name + "\", \"arguments\": {\"city\": \"Oslo\"}}");
            assertThat(firstRejected(a, text)).isEqualTo(-1);
            assertThat(a.complete()).isTrue();
        }
        assertThat(firstRejected(new ByteAutomaton(p), utf8("{\"name\": \"ge\","))).isEqualTo(12);
        assertThat(firstRejected(new ByteAutomaton(p), utf8("{\"name\": \"get_w\""))).isEqualTo(15);
        assertThat(firstRejected(new ByteAutomaton(p), utf8("{\"name\": \"get\", \"arguments\": []"))).isEqualTo(29);
    }

    /**
     * Random byte strings biased towards JSON's alphabet: whatever prefix the automaton accepts can be completed
     * (so it never accepts a prefix of nothing), and every completion it calls complete is strict JSON.
     */
    @Test
    void accept_randomBytes_everyAcceptedPrefixCompletesToValidJson() throws Exception {
        byte[] alphabet = utf8("{}[]:,\"\\ \n0123456789-+.eEtrufalsn/bu\u00e9x");
        SplittableRandom random = new SplittableRandom(7);
        int completed = 0;
        for (int run = 0; run < 3000; run++) {
            ByteAutomaton a = new ByteAutomaton(OBJECT);
            ByteAutomaton trial = new ByteAutomaton(OBJECT);
            java.io.ByteArrayOutputStream text = new java.io.ByteArrayOutputStream();
            a.accept('{');
            text.write('{');
            int length = random.nextInt(1, 80);
            for (int i = 0; i < length && !a.complete(); i++) {
                int b = random.nextInt(8) == 0 ? random.nextInt(256) : alphabet[random.nextInt(alphabet.length)] & 0xFF;
                trial.copyFrom(a);
                if (trial.accept(b)) {
                    a.copyFrom(trial);
                    text.write(b);
                }
            }
            text.writeBytes(complete(a));
            parseStrict(text.toByteArray());
            completed++;
        }
        assertThat(completed).isEqualTo(3000);
    }
}
