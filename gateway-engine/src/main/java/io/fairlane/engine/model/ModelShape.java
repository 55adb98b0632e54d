package io.fairlane.engine.model;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * A named architecture for synthetic models: everything of a {@link ModelConfig} but the vocabulary, which comes
 * from the tokenizer the model is paired with. The large shapes copy the published configs of the models they
 * are named after, so benchmarks move the same bytes per token as the real checkpoints.
 *
 * @param name             the shape's name ({@code tiny}, {@code llama-3.2-1b}, ...)
 * @param family           architecture family
 * @param hiddenSize       model width
 * @param intermediateSize MLP width
 * @param layers           decoder layers
 * @param heads            query heads
 * @param kvHeads          KV heads
 * @param headDim          head width
 * @param contextLength    {@code max_position_embeddings}
 * @param ropeTheta        rotary base
 * @param ropeScaling      rotary scaling
 * @param tiedEmbeddings   output projection shares the embedding matrix
 * @param slidingWindow    Mistral attention window (0 = none)
 * @param rmsNormEps       RMSNorm epsilon
 */
public record ModelShape(
        String name,
        ModelFamily family,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int contextLength,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tiedEmbeddings,
        int slidingWindow,
        double rmsNormEps) {

    public ModelShape {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(ropeScaling, "ropeScaling");
        if (slidingWindow != 0 && family != ModelFamily.MISTRAL) {
            throw new IllegalArgumentException("only the mistral family has a sliding window, shape " + name);
        }
    }

    private static final Map<String, ModelShape> SHAPES = new LinkedHashMap<>();

    static {
        RopeScaling none = new RopeScaling.None();
        // Tiny shapes: a few layers, small widths, grouped KV heads; one per family for tests.
        add(new ModelShape("tiny", ModelFamily.LLAMA, 64, 128, 2, 4, 2, 16, 2048, 10000, none, false, 0, 1e-5));
        add(new ModelShape("tiny-llama", ModelFamily.LLAMA, 64, 160, 3, 4, 1, 16, 4096, 500000,
                new RopeScaling.Llama3(8, 1, 4, 64), true, 0, 1e-5));
        add(new ModelShape("tiny-qwen2", ModelFamily.QWEN2, 64, 128, 2, 4, 2, 16, 4096, 1000000, none, true, 0, 1e-6));
        add(new ModelShape("tiny-qwen3", ModelFamily.QWEN3, 64, 128, 2, 4, 2, 32, 4096, 1000000, none, true, 0, 1e-6));
        add(new ModelShape("tiny-mistral", ModelFamily.MISTRAL, 64, 128, 2, 4, 2, 16, 4096, 10000, none, false, 8,
                1e-5));
        // llama2.c's 110M "stories" shape (dim 768, 12 layers, 12 heads, MLP 2048, shared classifier).
        add(new ModelShape("llama-110m", ModelFamily.LLAMA, 768, 2048, 12, 12, 12, 64, 1024, 10000, none, true, 0,
                1e-5));
        add(new ModelShape("qwen2.5-0.5b", ModelFamily.QWEN2, 896, 4864, 24, 14, 2, 64, 32768, 1000000, none, true, 0,
                1e-6));
        add(new ModelShape("qwen3-0.6b", ModelFamily.QWEN3, 1024, 3072, 28, 16, 8, 128, 40960, 1000000, none, true, 0,
                1e-6));
        add(new ModelShape("llama-3.2-1b", ModelFamily.LLAMA, 2048, 8192, 16, 32, 8, 64, 131072, 500000,
                new RopeScaling.Llama3(32, 1, 4, 8192), true, 0, 1e-5));
        add(new ModelShape("llama-3.1-8b", ModelFamily.LLAMA, 4096, 14336, 32, 32, 8, 128, 131072, 500000,
                new RopeScaling.Llama3(8, 1, 4, 8192), false, 0, 1e-5));
        add(new ModelShape("mistral-7b", ModelFamily.MISTRAL, 4096, 14336, 32, 32, 8, 128, 32768, 1000000, none,
                false, 0, 1e-5));
    }

    private static void add(ModelShape s) {
        SHAPES.put(s.name(), s);
    }

    /** All named shapes, in a stable order. */
    public static List<ModelShape> all() {
        return List.copyOf(SHAPES.values());
    }

    public static Optional<ModelShape> find(String name) {
        return Optional.ofNullable(SHAPES.get(name));
    }

    /** The named shape; an unknown name is an {@link IllegalArgumentException} listing the known ones. */
    public static ModelShape named(String name) {
        return find(name).orElseThrow(() -> new IllegalArgumentException("unknown model shape '" + name
                + "' (known: " + String.join(", ", SHAPES.keySet()) + ")"));
    }

    /** The config a model of this shape and vocabulary has. */
    public ModelConfig config(int vocabSize, int bosTokenId, List<Integer> eosTokenIds, DType dtype) {
        boolean qkvBias = family == ModelFamily.QWEN2;
        boolean qkNorm = family == ModelFamily.QWEN3;
        return new ModelConfig(family, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, vocabSize,
                contextLength, rmsNormEps, ropeTheta, ropeScaling, tiedEmbeddings, qkvBias, false, qkNorm,
                slidingWindow, bosTokenId, eosTokenIds, dtype);
    }
}
