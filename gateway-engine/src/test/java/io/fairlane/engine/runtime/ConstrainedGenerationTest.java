package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Engines;
import io.fairlane.engine.FinishReason;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Constrained decoding through the whole engine: the synthetic {@code fairlane-tiny} (random weights, the builtin
 * tokenizer) on the CPU backend. Its free output is never JSON; constrained, every choice that ends by itself is.
 */
class ConstrainedGenerationTest {

    private static final ObjectMapper JSON = new ObjectMapper();

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

    private static SamplingParams params(double temperature, int maxTokens, OutputConstraint c) {
        return new SamplingParams(temperature, 1, 0, 0, OptionalLong.of(9), 0, 0, Map.of(), false, 0, maxTokens,
                List.of(), false, c);
    }

    private static RecordingSink run(SamplingParams params, int n) {
        RecordingSink sink = new RecordingSink();
        engine.submit(new GenerationRequest("c-" + (++ids), "demo", ServiceTier.DEFAULT, "demo", prompt, params, n),
                sink);
        return sink.await();
    }

    private static FinishReason finish(RecordingSink sink, int choice) {
        return sink.events().stream().filter(e -> e instanceof TokenEvent.ChoiceFinished f && f.choice() == choice)
                .map(e -> ((TokenEvent.ChoiceFinished) e).reason()).findFirst().orElseThrow();
    }

    @Test
    void submit_jsonObjectGreedy_outputIsOneJsonObjectEndingWithStop() throws Exception {
        RecordingSink sink = run(params(0, 600, OutputConstraint.jsonObject()), 1);
        assertThat(finish(sink, 0)).isEqualTo(FinishReason.STOP);
        assertThat(JSON.readTree(sink.text(0)).isObject()).isTrue();
    }

    @Test
    void submit_toolCallNChoices_eachChoiceACallOfADeclaredName() throws Exception {
        // Greedy with this prompt and model closes the arguments at once; other names lead it into a string it
        // never ends (a random model: only max_tokens stops it).
        List<String> names = List.of("get_weather");
        RecordingSink sink = run(params(0, 200, OutputConstraint.toolCall(names)), 3);
        for (int i = 0; i < 3; i++) {
            assertThat(finish(sink, i)).as(sink.text(i)).isEqualTo(FinishReason.STOP);
            JsonNode call = JSON.readTree(sink.text(i));
            assertThat(names).contains(call.path("name").asText());
            assertThat(call.path("arguments").isObject()).isTrue();
        }
    }

    @Test
    void submit_constrainedCutByMaxTokens_endsWithLengthAsAJsonPrefix() {
        RecordingSink sink = run(params(1.5, 3, OutputConstraint.jsonObject()), 1);
        assertThat(List.of(finish(sink, 0), sink.text(0).charAt(0))).containsExactly(FinishReason.LENGTH, '{');
    }

    @Test
    void submit_sameSeedConstrained_sameText() {
        SamplingParams p = params(1, 40, OutputConstraint.jsonObject());
        assertThat(run(p, 1).text(0)).isEqualTo(run(p, 1).text(0));
    }
}
