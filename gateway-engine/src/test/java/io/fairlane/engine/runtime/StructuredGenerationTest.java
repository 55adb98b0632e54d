package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.Engines;
import io.fairlane.engine.FinishReason;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.ThinkingMode;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.grammar.SchemaException;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * JSON-Schema structured outputs through the whole engine: the synthetic {@code fairlane-tiny} (random weights)
 * on the CPU backend, sampling with a mild bias towards closing quotes and brackets so its outputs stay short.
 * Every choice ends by itself and validates; a schema the compiler refuses is a 400 at submission; a thinking
 * prompt gets its reasoning tokens flagged and counted, and the constraint applies after them.
 */
class StructuredGenerationTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SCHEMA = "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\","
            + "\"maxLength\":12},\"days\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":14},\"units\":{\"type\":"
            + "\"string\",\"enum\":[\"celsius\",\"fahrenheit\"]},\"alerts\":{\"type\":\"array\",\"items\":{\"type\":"
            + "\"string\",\"format\":\"date\"},\"maxItems\":2}},\"required\":[\"city\",\"days\",\"units\",\"alerts\"],"
            + "\"additionalProperties\":false}";

    @TempDir
    static Path cache;
    private static InferenceEngine engine;
    private static PreparedPrompt prompt;
    private static int ids;

    @BeforeAll
    static void open() {
        EngineConfig config = new EngineConfig("fairlane-tiny",
                new EngineConfig.ModelSource.Synthetic("tiny", "f32", 3, cache), "cpu", List.of(), 16, 8L << 20, 0.9,
                256, 8, 2, new Policy.DeficitRoundRobin(512), List.of(TenantSpec.of("demo", 1)));
        engine = Engines.open(config, SchedulerStats.disabled());
        prompt = engine.prepare(new Prompt.Text("Answer in JSON: the weather in Oslo."));
    }

    @AfterAll
    static void close() {
        engine.close();
    }

    private static SamplingParams params(double temperature, int maxTokens, OutputConstraint c,
                                         Map<Integer, Double> bias) {
        return new SamplingParams(temperature, 1, 0, 0, OptionalLong.of(5), 0, 0, bias, false, 0, maxTokens,
                List.of(), false, c);
    }

    private static Map<Integer, Double> closing() {
        return Map.of((int) '"', 3.0, (int) '}', 3.0, (int) ']', 3.0);
    }

    private static RecordingSink run(PreparedPrompt p, SamplingParams params, int n) {
        RecordingSink sink = new RecordingSink();
        engine.submit(new GenerationRequest("s-" + (++ids), "demo", ServiceTier.DEFAULT, "demo", p, params, n), sink);
        return sink.await();
    }

    private static FinishReason finish(RecordingSink sink, int choice) {
        return sink.events().stream().filter(e -> e instanceof TokenEvent.ChoiceFinished f && f.choice() == choice)
                .map(e -> ((TokenEvent.ChoiceFinished) e).reason()).findFirst().orElseThrow();
    }

    private static Set<?> problems(String schema, String output) throws Exception {
        return JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012).getSchema(JSON.readTree(schema),
                SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build()).validate(JSON.readTree(output));
    }

    @Test
    void submit_jsonSchemaSampled_everyChoiceStopsAndValidates() throws Exception {
        RecordingSink sink = run(prompt, params(1.0, 1500, new OutputConstraint.JsonSchema("weather", SCHEMA, true),
                closing()), 3);
        for (int i = 0; i < 3; i++) {
            assertThat(finish(sink, i)).as(sink.text(i)).isEqualTo(FinishReason.STOP);
            assertThat(problems(SCHEMA, sink.text(i))).as(sink.text(i)).isEmpty();
        }
    }

    @Test
    void submit_jsonSchemaGreedy_stopsAndValidates() throws Exception {
        RecordingSink sink = run(prompt, params(0, 1500, new OutputConstraint.JsonSchema("weather", SCHEMA, false),
                closing()), 1);
        assertThat(problems(SCHEMA, sink.text(0))).as(sink.text(0)).isEmpty();
    }

    @Test
    void submit_toolCallWithParameters_argumentsValidate() throws Exception {
        OutputConstraint call = OutputConstraint.toolCall(List.of("get_weather", "get_time"), Map.of("get_weather",
                new OutputConstraint.JsonSchema("get_weather", SCHEMA, true)));
        RecordingSink sink = run(prompt, params(1.0, 1500, call, closing()), 2);
        for (int i = 0; i < 2; i++) {
            JsonNode c = JSON.readTree(sink.text(i));
            if (c.path("name").asText().equals("get_weather")) {
                assertThat(problems(SCHEMA, c.path("arguments").toString())).as(sink.text(i)).isEmpty();
            } else {
                assertThat(c.path("arguments").isObject()).as(sink.text(i)).isTrue();
            }
        }
    }

    @Test
    void submit_unsupportedKeyword_invalidRequestNamingKeywordAndPointer() {
        String bad = "{\"type\":\"object\",\"properties\":{\"a\":{\"allOf\":[{\"type\":\"string\"}]}}}";
        EngineException e = catchThrowableOfType(EngineException.class, () -> engine.submit(new GenerationRequest(
                "bad-" + (++ids), "demo", ServiceTier.DEFAULT, "demo", prompt, params(1.0, 50,
                new OutputConstraint.JsonSchema("bad", bad, false), Map.of()), 1), new RecordingSink()));
        SchemaException cause = (SchemaException) e.getCause();
        assertThat(List.of(e.kind(), e.param(), cause.keyword(), cause.pointer()))
                .containsExactly(EngineException.Kind.INVALID_REQUEST, "response_format", "allOf", "/properties/a");
    }

    @Test
    void submit_insideThinkBlock_reasoningFlaggedCountedAndAnswerValidates() throws Exception {
        int close = BuiltinTokenizer.tokenizer().tokenId("</think>").orElseThrow();
        PreparedPrompt thinking = new PreparedPrompt(prompt.tokenIds(), prompt.text() + "<think>\n",
                ThinkingMode.INSIDE);
        Map<Integer, Double> bias = new java.util.HashMap<>(closing());
        bias.put(close, 4.0);
        RecordingSink sink = run(thinking, params(1.0, 1500, new OutputConstraint.JsonSchema("weather", SCHEMA, true),
                bias), 1);
        List<TokenEvent.Token> tokens = sink.events().stream().filter(e -> e instanceof TokenEvent.Token)
                .map(e -> (TokenEvent.Token) e).toList();
        int closeAt = -1;
        int flagged = 0;
        StringBuilder answer = new StringBuilder();
        for (int i = 0; i < tokens.size(); i++) {
            if (closeAt < 0 && tokens.get(i).tokenId() == close) {
                closeAt = i;
            }
            if (tokens.get(i).reasoning()) {
                flagged++;
            } else {
                answer.append(tokens.get(i).text());
            }
        }
        TokenEvent.Finished finished = (TokenEvent.Finished) sink.last();
        assertThat(closeAt).as("the model closed its think block").isPositive();
        // Everything up to the closing tag is reasoning; after it only whitespace may be, then the answer.
        assertThat(tokens.subList(0, closeAt + 1)).allMatch(TokenEvent.Token::reasoning);
        assertThat(tokens.subList(closeAt + 1, closeAt + 1 + flagged - (closeAt + 1)))
                .allMatch(t -> t.text().isBlank());
        assertThat(finished.usage().reasoningTokens()).isEqualTo(flagged);
        assertThat(problems(SCHEMA, answer.toString())).as(answer.toString()).isEmpty();
    }
}
