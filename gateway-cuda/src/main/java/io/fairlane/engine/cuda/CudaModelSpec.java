package io.fairlane.engine.cuda;

import java.util.Arrays;
import java.util.Objects;

/**
 * The shape of a decoder-only transformer the CUDA runner serves (Llama 2/3.x, Qwen2/2.5/3, Mistral), with every
 * option the kernels need. Built from a model's config.json by the engine's loader.
 *
 * @param family                architecture family, for messages ({@code llama}, {@code qwen2}, {@code qwen3}, {@code mistral})
 * @param hiddenSize            model width H
 * @param intermediateSize      MLP width I
 * @param layers                decoder layers
 * @param heads                 query heads Hq
 * @param kvHeads               key/value heads Hkv (Hq % Hkv == 0)
 * @param headDim               D, one of 16, 32, 64, 128, 256
 * @param vocabSize             V
 * @param rmsNormEps            RMSNorm epsilon (also for Qwen3's q/k norms)
 * @param qkvBias               q, k and v projections have biases (Qwen2, Llama's attention_bias)
 * @param outputBias            the attention output projection has a bias (Llama's attention_bias)
 * @param qkNorm                per-head RMSNorm of q and k before RoPE (Qwen3)
 * @param tiedEmbeddings        the output projection is the embedding matrix
 * @param slidingWindow         attention window in tokens, 0 for none
 * @param ropeInverseFrequencies D / 2 inverse frequencies with the model's rope scaling applied
 * @param ropeInterleaved       pair element 2i with 2i + 1 (Meta layout) instead of i with i + D/2 (HF layout)
 * @param contextLength         the longest sequence served
 */
public record CudaModelSpec(
        String family,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        float rmsNormEps,
        boolean qkvBias,
        boolean outputBias,
        boolean qkNorm,
        boolean tiedEmbeddings,
        int slidingWindow,
        float[] ropeInverseFrequencies,
        boolean ropeInterleaved,
        int contextLength) {

    public CudaModelSpec {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(ropeInverseFrequencies, "ropeInverseFrequencies");
        if (hiddenSize <= 0 || intermediateSize <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0
                || vocabSize <= 0 || contextLength <= 0 || slidingWindow < 0 || !(rmsNormEps > 0)) {
            throw new IllegalArgumentException("invalid model shape for the CUDA backend: " + shapeString(
                    hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, vocabSize));
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads + " is not a multiple of"
                    + " num_key_value_heads " + kvHeads);
        }
        Kernels.requireHeadDim(headDim);
        if (ropeInverseFrequencies.length != headDim / 2) {
            throw new IllegalArgumentException("ropeInverseFrequencies must hold head_dim / 2 = " + headDim / 2
                    + " values, has " + ropeInverseFrequencies.length);
        }
        ropeInverseFrequencies = ropeInverseFrequencies.clone();
    }

    /**
     * The kernels' view of a model's config: the same shapes, and the rotary inverse frequencies (with the config's
     * scaling applied) the CPU backend uses, rounded to f32.
     *
     * @throws IllegalArgumentException when the kernels cannot serve the shape (head_dim outside 16, 32, 64, 128,
     *         256)
     */
    public static CudaModelSpec of(io.fairlane.engine.model.ModelConfig c) {
        double[] inv = c.ropeInverseFrequencies();
        float[] freqs = new float[inv.length];
        for (int i = 0; i < inv.length; i++) {
            freqs[i] = (float) inv[i];
        }
        return new CudaModelSpec(c.family().modelType(), c.hiddenSize(), c.intermediateSize(), c.layers(), c.heads(),
                c.kvHeads(), c.headDim(), c.vocabSize(), (float) c.rmsNormEps(), c.qkvBias(), c.outputBias(),
                c.qkNorm(), c.tiedEmbeddings(), c.slidingWindow(), freqs, false, c.contextLength());
    }

    /** Plain RoPE frequencies 1 / theta^(2i / D), for specs without rope scaling. */
    public static float[] defaultRopeFrequencies(int headDim, double theta) {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(theta, 2.0 * i / headDim));
        }
        return f;
    }

    @Override
    public float[] ropeInverseFrequencies() {
        return ropeInverseFrequencies.clone();
    }

    int qkvWidth() {
        return (heads + 2 * kvHeads) * headDim;
    }

    int attentionWidth() {
        return heads * headDim;
    }

    float attentionScale() {
        return (float) (1.0 / Math.sqrt(headDim));
    }

    private static String shapeString(int h, int i, int l, int hq, int hkv, int d, int v) {
        return "hidden=" + h + " intermediate=" + i + " layers=" + l + " heads=" + hq + " kv_heads=" + hkv
                + " head_dim=" + d + " vocab=" + v;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CudaModelSpec s && family.equals(s.family) && hiddenSize == s.hiddenSize
                && intermediateSize == s.intermediateSize && layers == s.layers && heads == s.heads
                && kvHeads == s.kvHeads && headDim == s.headDim && vocabSize == s.vocabSize
                && rmsNormEps == s.rmsNormEps && qkvBias == s.qkvBias && outputBias == s.outputBias
                && qkNorm == s.qkNorm
                && tiedEmbeddings == s.tiedEmbeddings && slidingWindow == s.slidingWindow
                && Arrays.equals(ropeInverseFrequencies, s.ropeInverseFrequencies)
                && ropeInterleaved == s.ropeInterleaved && contextLength == s.contextLength;
    }

    @Override
    public int hashCode() {
        return Objects.hash(family, hiddenSize, intermediateSize, layers, heads, kvHeads, headDim, vocabSize,
                contextLength) * 31 + Arrays.hashCode(ropeInverseFrequencies);
    }

    @Override
    public String toString() {
        return "CudaModelSpec[" + family + ", " + shapeString(hiddenSize, intermediateSize, layers, heads, kvHeads,
                headDim, vocabSize) + (qkvBias ? ", qkv bias" : "") + (outputBias ? ", o_proj bias" : "")
                + (qkNorm ? ", qk norm" : "")
                + (tiedEmbeddings ? ", tied" : "") + (slidingWindow > 0 ? ", window " + slidingWindow : "")
                + ", context " + contextLength + "]";
    }
}
