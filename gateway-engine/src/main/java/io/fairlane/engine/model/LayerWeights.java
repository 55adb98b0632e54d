package io.fairlane.engine.model;

import java.util.Objects;

/**
 * One decoder layer's tensors, checked against the config. Linear weights are {@code [out, in]}.
 *
 * @param inputNorm     {@code [hidden]} RMSNorm before attention
 * @param q             {@code [heads * headDim, hidden]}
 * @param k             {@code [kvHeads * headDim, hidden]}
 * @param v             {@code [kvHeads * headDim, hidden]}
 * @param o             {@code [hidden, heads * headDim]}
 * @param qBias         {@code [heads * headDim]} or null
 * @param kBias         {@code [kvHeads * headDim]} or null
 * @param vBias         {@code [kvHeads * headDim]} or null
 * @param oBias         {@code [hidden]} or null
 * @param qNorm         {@code [headDim]} (Qwen3) or null
 * @param kNorm         {@code [headDim]} (Qwen3) or null
 * @param postAttentionNorm {@code [hidden]} RMSNorm before the MLP
 * @param gate          {@code [intermediate, hidden]}
 * @param up            {@code [intermediate, hidden]}
 * @param down          {@code [hidden, intermediate]}
 */
public record LayerWeights(
        Tensor inputNorm,
        Tensor q,
        Tensor k,
        Tensor v,
        Tensor o,
        Tensor qBias,
        Tensor kBias,
        Tensor vBias,
        Tensor oBias,
        Tensor qNorm,
        Tensor kNorm,
        Tensor postAttentionNorm,
        Tensor gate,
        Tensor up,
        Tensor down) {

    public LayerWeights {
        Objects.requireNonNull(inputNorm, "inputNorm");
        Objects.requireNonNull(q, "q");
        Objects.requireNonNull(k, "k");
        Objects.requireNonNull(v, "v");
        Objects.requireNonNull(o, "o");
        Objects.requireNonNull(postAttentionNorm, "postAttentionNorm");
        Objects.requireNonNull(gate, "gate");
        Objects.requireNonNull(up, "up");
        Objects.requireNonNull(down, "down");
    }
}
