package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.Engines;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code Engines.open}: synthetic models on first start, backend choice, a working engine. */
class LocalEnginesTest {

    @TempDir
    Path cache;

    private EngineConfig config(String backend, EngineConfig.ModelSource source) {
        return new EngineConfig("fairlane-tiny", source, backend, List.of(), 16, 8L << 20, 0.9, 256, 8, 2,
                new Policy.DeficitRoundRobin(512), List.of(TenantSpec.of("demo", 1)));
    }

    private EngineConfig synthetic(String backend) {
        return config(backend, new EngineConfig.ModelSource.Synthetic("tiny", "f32", 3, cache));
    }

    private static TokenEvent generate(InferenceEngine engine, PreparedPrompt prompt) {
        RecordingSink sink = new RecordingSink();
        engine.submit(new GenerationRequest("r1", "demo", ServiceTier.DEFAULT, "demo", prompt,
                SamplingParams.greedy(8), 1), sink);
        return sink.await().last();
    }

    @Test
    void open_syntheticOnCpu_servesAGeneration() {
        try (InferenceEngine engine = Engines.open(synthetic("cpu"), SchedulerStats.disabled())) {
            PreparedPrompt prompt = engine.prepare(new Prompt.Text("Hello, tenants of Fairlane."));
            assertThat(generate(engine, prompt)).isInstanceOf(TokenEvent.Finished.class);
        }
    }

    @Test
    void open_synthetic_materialisesIntoTheCacheOnce() throws Exception {
        Engines.open(synthetic("cpu"), SchedulerStats.disabled()).close();
        Engines.open(synthetic("cpu"), SchedulerStats.disabled()).close();
        try (Stream<Path> entries = Files.list(cache)) {
            assertThat(entries.map(p -> p.getFileName().toString()).sorted().toList())
                    .containsExactly(LocalEngines.BUILTIN_TOKENIZER_DIR, "tiny-f32-s3");
        }
    }

    @Test
    void open_synthetic_usesTheBuiltinTokenizersVocabulary() {
        try (InferenceEngine engine = Engines.open(synthetic("cpu"), SchedulerStats.disabled())) {
            assertThat(engine.model().vocabSize()).isEqualTo(io.fairlane.engine.tokenizer.BuiltinTokenizer.VOCAB_SIZE);
        }
    }

    @Test
    void open_sameModelTwice_sameFingerprint() {
        String first;
        try (InferenceEngine engine = Engines.open(synthetic("cpu"), SchedulerStats.disabled())) {
            first = engine.model().fingerprint();
        }
        try (InferenceEngine engine = Engines.open(synthetic("cpu"), SchedulerStats.disabled())) {
            assertThat(engine.model().fingerprint()).isEqualTo(first);
        }
    }

    @Test
    void open_autoWithoutUsableCuda_choosesCpu() {
        org.junit.jupiter.api.Assumptions.assumeFalse(io.fairlane.engine.exec.ExecutionBackendProvider.named("cuda").probe().usable(),
                "a usable CUDA device is present here");
        try (InferenceEngine engine = Engines.open(synthetic("auto"), SchedulerStats.disabled())) {
            assertThat(engine.model().backend()).isEqualTo("cpu");
        }
    }

    @Test
    void open_cudaWithoutUsableDevice_unavailableWithTheReason() {
        org.junit.jupiter.api.Assumptions.assumeFalse(io.fairlane.engine.exec.ExecutionBackendProvider.named("cuda").probe().usable(),
                "a usable CUDA device is present here");
        assertThatThrownBy(() -> Engines.open(synthetic("cuda"), SchedulerStats.disabled()))
                .isInstanceOfSatisfying(EngineException.class, e -> assertThat(List.of(e.kind().name(),
                        e.getMessage().contains("CUDA"))).containsExactly("UNAVAILABLE", true));
    }

    @Test
    void open_missingDirectory_unavailable() {
        EngineConfig missing = config("cpu", new EngineConfig.ModelSource.Directory(cache.resolve("nope")));
        assertThatThrownBy(() -> Engines.open(missing, SchedulerStats.disabled()))
                .isInstanceOfSatisfying(EngineException.class,
                        e -> assertThat(e.kind()).isEqualTo(EngineException.Kind.UNAVAILABLE));
    }

    @Test
    void prepare_chatOnSyntheticModel_rendersThroughItsChatMlTemplate() {
        try (InferenceEngine engine = Engines.open(synthetic("cpu"), SchedulerStats.disabled())) {
            PreparedPrompt prompt = engine.prepare(new Prompt.Chat(List.of(java.util.Map.of("role", "user",
                    "content", "Hello")), List.of(), true, java.util.Map.of()));
            assertThat(prompt.text()).isEqualTo("<|im_start|>user\nHello<|im_end|>\n<|im_start|>assistant\n");
        }
    }

    @Test
    void open_syntheticModel_reportsItsChatTemplate() {
        try (InferenceEngine engine = Engines.open(synthetic("cpu"), SchedulerStats.disabled())) {
            assertThat(engine.model().hasChatTemplate()).isTrue();
        }
    }

    @Test
    void prepare_tokenIdOutsideVocabulary_invalidRequest() {
        try (InferenceEngine engine = Engines.open(synthetic("cpu"), SchedulerStats.disabled())) {
            assertThatThrownBy(() -> engine.prepare(new Prompt.TokenIds(new int[] {1, 1_000_000})))
                    .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.param()).isEqualTo("prompt"));
        }
    }

    @Test
    void prepare_chatOnModelWithoutTemplate_refusedPointingAtCompletions() throws Exception {
        Path tokenizer = cache.resolve("tokenizer-without-template");
        io.fairlane.engine.tokenizer.BuiltinTokenizer.writeTo(tokenizer);
        var mapper = new com.fasterxml.jackson.databind.ObjectMapper();
        var config = (com.fasterxml.jackson.databind.node.ObjectNode) mapper.readTree(
                tokenizer.resolve("tokenizer_config.json").toFile());
        config.remove("chat_template");
        mapper.writeValue(tokenizer.resolve("tokenizer_config.json").toFile(), config);
        Path dir = io.fairlane.engine.model.SyntheticModels.materialize(io.fairlane.engine.model.ModelShape.named(
                "tiny"), io.fairlane.engine.model.DType.F32, 3, tokenizer, cache.resolve("plain"),
                new io.fairlane.engine.model.SyntheticModels.Options(1L << 30, 1));
        try (InferenceEngine engine = Engines.open(config("cpu", new EngineConfig.ModelSource.Directory(dir)),
                SchedulerStats.disabled())) {
            assertThatThrownBy(() -> engine.prepare(new Prompt.Chat(List.of(java.util.Map.of("role", "user",
                    "content", "Hello")), List.of(), true, java.util.Map.of())))
                    .isInstanceOfSatisfying(EngineException.class, e -> assertThat(e.param() + ": " + e.getMessage())
                            .isEqualTo("messages: this model has no chat template; use the completions endpoint"));
        }
    }
}
