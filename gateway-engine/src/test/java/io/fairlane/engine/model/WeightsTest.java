package io.fairlane.engine.model;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class WeightsTest {

    @TempDir
    Path root;

    /** tiny with shards cut at 64 KiB: several files and an index. */
    private Path sharded() {
        Path tok = TestModels.tokenizer(root.resolve("tok"), TestModels.VOCAB);
        return SyntheticModels.materialize(ModelShape.named("tiny"), DType.F32, 1, tok, root.resolve("m"),
                new SyntheticModels.Options(64 << 10, 2));
    }

    @Test
    void open_shardedModel_mapsEveryTensorOfTheIndex() {
        Path dir = sharded();
        try (Weights w = Weights.open(dir)) {
            assertThat(w.files()).hasSizeGreaterThan(1);
            assertThat(w.names()).contains("model.embed_tokens.weight", "model.layers.1.mlp.down_proj.weight",
                    "lm_head.weight");
        }
    }

    @Test
    void open_shardedAndSingleFile_holdTheSameValues() {
        Path dir = sharded();
        Path tok = root.resolve("tok");
        Path single = SyntheticModels.materialize(ModelShape.named("tiny"), DType.F32, 1, tok, root.resolve("s"),
                SyntheticModels.Options.defaults());
        try (Weights a = Weights.open(dir); Weights b = Weights.open(single)) {
            String name = "model.layers.1.self_attn.k_proj.weight";
            assertThat(a.require(name).toFloatArray()).containsExactly(b.require(name).toFloatArray());
        }
    }

    @Test
    void open_indexNamingMissingShard_namesTensorAndFile() throws IOException {
        Path dir = sharded();
        Path index = dir.resolve(Weights.INDEX_FILE);
        Files.writeString(index, Files.readString(index).replace("model-00001-of-", "model-00009-of-"));
        assertThatThrownBy(() -> Weights.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model-00009-of-").hasMessageContaining("does not exist");
    }

    @Test
    void open_indexPlacingTensorInWrongShard_namesIt() throws IOException {
        Path dir = sharded();
        Path index = dir.resolve(Weights.INDEX_FILE);
        String json = Files.readString(index);
        // The embedding lives in the first shard; claim it is in the last.
        String last = json.replaceAll("(?s).*\"(model-\\d+-of-\\d+\\.safetensors)\".*", "$1");
        json = json.replaceFirst("\"model.embed_tokens.weight\" : \"[^\"]+\"",
                "\"model.embed_tokens.weight\" : \"" + last + "\"");
        Files.writeString(index, json);
        assertThatThrownBy(() -> Weights.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("model.embed_tokens.weight").hasMessageContaining(last);
    }

    @Test
    void open_indexNamingFileOutsideDirectory_isRefused() throws IOException {
        Path dir = sharded();
        Path index = dir.resolve(Weights.INDEX_FILE);
        Files.writeString(index, "{\"weight_map\":{\"x\":\"../escape.safetensors\"}}");
        assertThatThrownBy(() -> Weights.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("outside the model directory");
    }

    @Test
    void open_truncatedShard_namesTheFileAndTensor() throws IOException {
        Path dir = sharded();
        Path shard = dir.resolve("model-00001-of-" + String.format("%05d", shardCount(dir)) + ".safetensors");
        byte[] bytes = Files.readAllBytes(shard);
        Files.write(shard, java.util.Arrays.copyOf(bytes, bytes.length - 10));
        assertThatThrownBy(() -> Weights.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(shard.toString()).hasMessageContaining("tensor '");
    }

    private static int shardCount(Path dir) throws IOException {
        try (var s = Files.list(dir)) {
            return (int) s.filter(p -> p.getFileName().toString().matches("model-\\d+-of-\\d+\\.safetensors")).count();
        }
    }

    @Test
    void open_directoryWithoutWeights_saysWhatIsMissing() throws IOException {
        Path empty = Files.createDirectories(root.resolve("empty"));
        assertThatThrownBy(() -> Weights.open(empty)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining(Weights.SINGLE_FILE);
    }

    @Test
    void tensors_afterClose_failInsteadOfReadingUnmappedMemory() {
        Path dir = sharded();
        Weights w = Weights.open(dir);
        Tensor t = w.require("model.norm.weight");
        w.close();
        assertThatThrownBy(() -> t.getFloat(0)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void bind_tensorWithWrongShape_namesTensorAndShapes() throws IOException {
        Path dir = sharded();
        Files.writeString(dir.resolve("config.json"), Files.readString(dir.resolve("config.json"))
                .replace("\"intermediate_size\" : 128", "\"intermediate_size\" : 256"));
        assertThatThrownBy(() -> Model.open(dir)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("mlp.gate_proj.weight").hasMessageContaining("[128, 64]");
    }

    @Test
    void bind_untiedModelWithoutLmHead_saysWhy() throws IOException {
        Path tok = TestModels.tokenizer(root.resolve("tok"), TestModels.VOCAB);
        Path tied = SyntheticModels.materialize(ModelShape.named("tiny-qwen2"), DType.BF16, 1, tok,
                root.resolve("q"), SyntheticModels.Options.defaults());
        Files.writeString(tied.resolve("config.json"), Files.readString(tied.resolve("config.json"))
                .replace("\"tie_word_embeddings\" : true", "\"tie_word_embeddings\" : false"));
        assertThatThrownBy(() -> Model.open(tied)).isInstanceOf(ModelFormatException.class)
                .hasMessageContaining("lm_head.weight").hasMessageContaining("tie_word_embeddings");
    }
}
