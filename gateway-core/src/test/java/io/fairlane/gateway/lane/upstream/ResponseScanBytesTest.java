package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The byte-level scan of an unstreamed answer against Jackson's scan, the reference: on thousands of answers,
 * whole and damaged, for each kind of caller (chat with a tier, embeddings without, a renamed model), the same
 * verdict and the same counts and offsets.
 */
class ResponseScanBytesTest {

    private static final String[] ANSWERS = {
        "{\"id\":\"chatcmpl-1\",\"object\":\"chat.completion\",\"created\":1727346172,\"model\":\"bench\","
            + "\"system_fingerprint\":\"fp\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
            + "\"content\":\"The quick brown fox.\",\"refusal\":null,\"tool_calls\":[]},\"logprobs\":null,"
            + "\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":10,"
            + "\"total_tokens\":22,\"prompt_tokens_details\":{\"cached_tokens\":0,\"audio_tokens\":0},"
            + "\"completion_tokens_details\":{\"reasoning_tokens\":0}}}",
        "{\"object\":\"chat.completion\",\"service_tier\":\"default\",\"model\":\"up\\\"stream\",\"choices\":"
            + "[{\"index\":0,\"message\":{\"content\":null,\"tool_calls\":[{\"id\":\"c\",\"function\":{}}]}}]}",
        "{\"object\":\"text_completion\",\"model\":\"my-model\",\"choices\":[{\"index\":0,\"text\":\"caf\u00e9\","
            + "\"finish_reason\":\"length\"}],\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,"
            + "\"total_tokens\":3}}",
        "{\"object\":\"list\",\"data\":[{\"object\":\"embedding\",\"index\":0,\"embedding\":[0.1,-2e-3,3]}],"
            + "\"model\":\"e\",\"usage\":{\"prompt_tokens\":4,\"total_tokens\":4}}",
    };

    @Test
    void bytesAndJackson_agreeOnEveryAnswer_wholeOrDamaged() {
        Random random = new Random(11);
        byte[] alphabet = "{}[]:,\"\\ 0123456789.-eEtrufalsn\u00e9x".getBytes(StandardCharsets.UTF_8);
        int scanned = 0;
        for (int round = 0; round < 6_000; round++) {
            byte[] json = ANSWERS[round % ANSWERS.length].getBytes(StandardCharsets.UTF_8);
            if (round >= ANSWERS.length) {
                for (int c = 1 + random.nextInt(2); c > 0; c--) {
                    json = JsonBytesTest.damage(json, random, alphabet);
                }
            }
            for (String[] caller : new String[][] {{"default", null}, {null, null}, {"flex", "my-model"}}) {
                ResponseScan jackson = ResponseScan.of(new ByteArrayInputStream(json), caller[0], caller[1]);
                byte[] padded = Arrays.copyOf(json, json.length + 7); // the scratch array is larger than the answer
                ResponseScan bytes = ResponseScan.of(padded, json.length, caller[0], caller[1]);
                assertThat(bytes).as(new String(json, StandardCharsets.UTF_8) + " " + Arrays.toString(caller))
                        .isEqualTo(jackson);
                if (bytes != null) {
                    scanned++;
                }
            }
        }
        assertThat(scanned).as("answers the fast path took").isGreaterThan(1000);
    }
}
