package io.fairlane.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SyntheticModelsTest {

    @TempDir
    Path root;

    private Path tokenizer() {
        return TestModels.tokenizer(root.resolve("tok"), TestModels.VOCAB);
    }

    private Path make(String shape, DType dtype, long seed, String dir) {
        return SyntheticModels.materialize(ModelShape.named(shape), dtype, seed, tokenizer(), root.resolve(dir),
                SyntheticModels.Options.defaults());
    }

    @Test
    void materialize_everyTinyShape_opensAsAModelOfItsFamily() {
        for (ModelShape s : ModelShape.all()) {
            if (!s.name().startsWith("tiny")) {
                continue;
            }
            try (Model m = Model.open(make(s.name(), DType.BF16, 1, s.name()))) {
                assertThat(m.config().family()).isEqualTo(s.family());
            }
        }
    }

    @Test
    void materialize_takesVocabularyAndSpecialIdsFromTheTokenizer() {
        ModelConfig c = ModelConfig.load(make("tiny", DType.BF16, 1, "m"));
        assertThat(c.vocabSize()).isEqualTo(TestModels.VOCAB);
        assertThat(c.bosTokenId()).isEqualTo(TestModels.BOS);
        assertThat(c.eosTokenIds()).containsExactly(TestModels.EOS);
    }

    @Test
    void materialize_copiesTokenizerFiles() {
        Path m = make("tiny", DType.BF16, 1, "m");
        assertThat(m.resolve("tokenizer.json")).hasSameTextualContentAs(root.resolve("tok/tokenizer.json"));
        assertThat(m.resolve("tokenizer_config.json")).exists();
    }

    @Test
    void materialize_sameSeed_writesIdenticalWeights() throws IOException {
        Path a = make("tiny-qwen3", DType.BF16, 5, "a");
        Path b = make("tiny-qwen3", DType.BF16, 5, "b");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors"))).isEqualTo(-1);
    }

    @Test
    void materialize_otherSeed_writesOtherWeights() throws IOException {
        Path a = make("tiny-qwen3", DType.BF16, 5, "a");
        Path b = make("tiny-qwen3", DType.BF16, 6, "b");
        assertThat(Files.mismatch(a.resolve("model.safetensors"), b.resolve("model.safetensors"))).isNotEqualTo(-1);
    }

    @Test
    void materialize_weightScale_isTheDocumentedInitialisation() {
        try (Model m = Model.open(make("tiny", DType.F32, 1, "m"))) {
            float[] q = m.weights().layers().get(0).q().toFloatArray();
            double ss = 0;
            for (float v : q) {
                ss += v * v;
            }
            double std = Math.sqrt(ss / q.length);
            assertThat(std).isCloseTo(1 / Math.sqrt(64), org.assertj.core.data.Percentage.withPercentage(10));
        }
    }

    @Test
    void materialize_existingSameModel_isReusedUntouched() throws IOException {
        Path a = make("tiny", DType.BF16, 1, "m");
        long before = Files.getLastModifiedTime(a.resolve("model.safetensors")).toMillis();
        make("tiny", DType.BF16, 1, "m");
        assertThat(Files.getLastModifiedTime(a.resolve("model.safetensors")).toMillis()).isEqualTo(before);
    }

    @Test
    void materialize_directoryHoldingSomethingElse_isRefused() throws IOException {
        Path other = Files.createDirectories(root.resolve("taken"));
        Files.writeString(other.resolve("notes.txt"), "mine");
        assertThatThrownBy(() -> make("tiny", DType.BF16, 1, "taken"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already exists");
    }

    @Test
    void materialize_leavesNoTemporaryDirectoryBehind() throws IOException {
        make("tiny", DType.BF16, 1, "m");
        try (var s = Files.list(root)) {
            assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.contains(".tmp-"));
        }
    }

    @Test
    void materialize_tokenizerDirectoryWithoutTokenizerJson_isRefused() throws IOException {
        Path empty = Files.createDirectories(root.resolve("none"));
        assertThatThrownBy(() -> SyntheticModels.materialize("tiny", "bf16", 1, empty, root.resolve("m")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("tokenizer.json");
    }

    @Test
    void materialize_unknownShape_listsTheKnownOnes() {
        assertThatThrownBy(() -> SyntheticModels.materialize("huge", "bf16", 1, tokenizer(), root.resolve("m")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("llama-3.1-8b");
    }

    @Test
    void materialize_chatTokenizer_listsItsEndOfTurnTokensAsEos() throws IOException {
        Path tok = TestModels.tokenizer(root.resolve("chat"), 300);
        Path json = tok.resolve("tokenizer.json");
        Files.writeString(json, Files.readString(json).replace("\"added_tokens\":[",
                "\"added_tokens\":[{\"id\":299,\"content\":\"<|im_end|>\",\"special\":true},"));
        Path m = SyntheticModels.materialize(ModelShape.named("tiny"), DType.BF16, 1, tok, root.resolve("m"),
                SyntheticModels.Options.defaults());
        assertThat(ModelConfig.load(m).eosTokenIds()).containsExactly(TestModels.EOS, 299);
    }

    @Test
    void shapes_bigOnes_copyThePublishedParameterCounts() {
        // Llama 3.2 1B has 1.24B parameters with its 128256-token vocabulary; Qwen3 0.6B has 0.6B (tied).
        assertThat(ModelShape.named("llama-3.2-1b").config(128256, -1, java.util.List.of(), DType.BF16)
                .parameterCount()).isEqualTo(1_235_814_400L);
        assertThat(ModelShape.named("qwen3-0.6b").config(151936, -1, java.util.List.of(), DType.BF16)
                .parameterCount()).isEqualTo(596_049_920L);
    }
}
