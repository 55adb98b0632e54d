package io.fairlane.engine.model;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Test fixtures: a minimal Hugging Face tokenizer directory (only its vocabulary size matters to the forward
 * pass) and synthetic models built on it.
 */
public final class TestModels {

    /** Vocabulary of the fixture tokenizer: 3 special tokens plus 253 plain ones. */
    public static final int VOCAB = 256;
    public static final int BOS = 1;
    public static final int EOS = 2;

    private TestModels() {
    }

    /**
     * Writes {@code tokenizer.json} (a word-level vocabulary {@code t3..t255} with {@code <unk>}, {@code <s>},
     * {@code </s>} as added tokens) and a {@code tokenizer_config.json} naming BOS and EOS.
     */
    public static Path tokenizer(Path dir, int vocab) {
        try {
            Files.createDirectories(dir);
            StringBuilder v = new StringBuilder();
            v.append("\"<unk>\":0,\"<s>\":1,\"</s>\":2");
            for (int i = 3; i < vocab; i++) {
                v.append(",\"t").append(i).append("\":").append(i);
            }
            String json = "{\"version\":\"1.0\",\"added_tokens\":["
                    + "{\"id\":0,\"content\":\"<unk>\",\"special\":true},"
                    + "{\"id\":1,\"content\":\"<s>\",\"special\":true},"
                    + "{\"id\":2,\"content\":\"</s>\",\"special\":true}],"
                    + "\"model\":{\"type\":\"WordLevel\",\"unk_token\":\"<unk>\",\"vocab\":{" + v + "}}}";
            Files.writeString(dir.resolve("tokenizer.json"), json, StandardCharsets.UTF_8);
            Files.writeString(dir.resolve("tokenizer_config.json"),
                    "{\"bos_token\":\"<s>\",\"eos_token\":\"</s>\"}", StandardCharsets.UTF_8);
            return dir;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A synthetic model of {@code shape} on the fixture tokenizer, written under {@code root}. */
    public static Path synthetic(Path root, String shape, DType dtype, long seed) {
        Path tok = tokenizer(root.resolve("tokenizer"), VOCAB);
        return SyntheticModels.materialize(ModelShape.named(shape), dtype, seed, tok,
                root.resolve(SyntheticModels.directoryName(shape, dtype, seed)), new SyntheticModels.Options(
                        SyntheticModels.DEFAULT_MAX_SHARD_BYTES, 2));
    }

    /** Opens a synthetic model of {@code shape}. */
    public static Model open(Path root, String shape, DType dtype, long seed) {
        return Model.open(synthetic(root, shape, dtype, seed));
    }
}
