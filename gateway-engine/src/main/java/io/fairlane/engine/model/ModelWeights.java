package io.fairlane.engine.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The tensors of a Llama-style decoder, found by their Hugging Face names and checked against the config's
 * shapes. All four families name their tensors alike:
 * <pre>
 *   model.embed_tokens.weight                      [vocab, hidden]
 *   model.layers.{i}.input_layernorm.weight        [hidden]
 *   model.layers.{i}.self_attn.{q,k,v,o}_proj.weight (+ .bias)
 *   model.layers.{i}.self_attn.{q,k}_norm.weight   [headDim]            (Qwen3)
 *   model.layers.{i}.post_attention_layernorm.weight
 *   model.layers.{i}.mlp.{gate,up,down}_proj.weight
 *   model.norm.weight                              [hidden]
 *   lm_head.weight                                 [vocab, hidden]      (absent when tied)
 * </pre>
 *
 * @param embedding  {@code [vocab, hidden]}
 * @param layers     one per decoder layer
 * @param finalNorm  {@code [hidden]}
 * @param output     {@code [vocab, hidden]}; the embedding itself when tied
 */
public record ModelWeights(Tensor embedding, List<LayerWeights> layers, Tensor finalNorm, Tensor output) {

    public ModelWeights {
        Objects.requireNonNull(embedding, "embedding");
        Objects.requireNonNull(finalNorm, "finalNorm");
        Objects.requireNonNull(output, "output");
        layers = List.copyOf(layers);
    }

    /** Hugging Face tensor name of layer {@code i}'s {@code suffix}. */
    public static String layerName(int i, String suffix) {
        return "model.layers." + i + "." + suffix;
    }

    /**
     * Finds and checks every tensor {@code config} needs.
     *
     * @throws ModelFormatException naming the first missing or misshapen tensor
     */
    public static ModelWeights bind(ModelConfig config, Weights weights) {
        long h = config.hiddenSize();
        long qd = config.qDim();
        long kvd = config.kvDim();
        long inter = config.intermediateSize();
        long vocab = config.vocabSize();
        Binder b = new Binder(weights);
        Tensor embed = b.require("model.embed_tokens.weight", vocab, h);
        List<LayerWeights> layers = new ArrayList<>(config.layers());
        for (int i = 0; i < config.layers(); i++) {
            String p = "model.layers." + i + ".";
            layers.add(new LayerWeights(
                    b.require(p + "input_layernorm.weight", h),
                    b.require(p + "self_attn.q_proj.weight", qd, h),
                    b.require(p + "self_attn.k_proj.weight", kvd, h),
                    b.require(p + "self_attn.v_proj.weight", kvd, h),
                    b.require(p + "self_attn.o_proj.weight", h, qd),
                    config.qkvBias() ? b.require(p + "self_attn.q_proj.bias", qd) : null,
                    config.qkvBias() ? b.require(p + "self_attn.k_proj.bias", kvd) : null,
                    config.qkvBias() ? b.require(p + "self_attn.v_proj.bias", kvd) : null,
                    config.outputBias() ? b.require(p + "self_attn.o_proj.bias", h) : null,
                    config.qkNorm() ? b.require(p + "self_attn.q_norm.weight", config.headDim()) : null,
                    config.qkNorm() ? b.require(p + "self_attn.k_norm.weight", config.headDim()) : null,
                    b.require(p + "post_attention_layernorm.weight", h),
                    b.require(p + "mlp.gate_proj.weight", inter, h),
                    b.require(p + "mlp.up_proj.weight", inter, h),
                    b.require(p + "mlp.down_proj.weight", h, inter)));
        }
        Tensor norm = b.require("model.norm.weight", h);
        Tensor output;
        if (config.tiedEmbeddings()) {
            output = embed;
        } else {
            if (weights.find("lm_head.weight").isEmpty()) {
                throw new ModelFormatException(weights.directory() + ": tensor 'lm_head.weight' is missing and"
                        + " config.json does not tie word embeddings (tie_word_embeddings is false)");
            }
            output = b.require("lm_head.weight", vocab, h);
        }
        return new ModelWeights(embed, layers, norm, output);
    }

    private record Binder(Weights weights) {
        Tensor require(String name, long... shape) {
            Tensor t = weights.require(name);
            if (!Arrays.equals(t.shape(), shape)) {
                throw new ModelFormatException(t.file() + ": tensor '" + name + "' has shape "
                        + Arrays.toString(t.shape()) + " but config.json implies " + Arrays.toString(shape));
            }
            return t;
        }
    }
}
