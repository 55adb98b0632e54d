package io.fairlane.engine.model;

import java.util.Optional;

/**
 * Decoder-only architectures Fairlane runs. All four share the Llama block (RMSNorm, rotary attention with
 * grouped KV heads, SwiGLU MLP); they differ in the options {@link ModelConfig} records.
 */
public enum ModelFamily {
    /** Llama 2, Llama 3 / 3.1 / 3.2 ({@code LlamaForCausalLM}). */
    LLAMA("llama", "LlamaForCausalLM"),
    /** Qwen2 and Qwen2.5: biases on the q, k and v projections ({@code Qwen2ForCausalLM}). */
    QWEN2("qwen2", "Qwen2ForCausalLM"),
    /** Qwen3 dense: per-head RMSNorm of q and k before RoPE, head_dim independent of the width. */
    QWEN3("qwen3", "Qwen3ForCausalLM"),
    /** Mistral: Llama block with an optional sliding attention window ({@code MistralForCausalLM}). */
    MISTRAL("mistral", "MistralForCausalLM");

    private final String modelType;
    private final String architecture;

    ModelFamily(String modelType, String architecture) {
        this.modelType = modelType;
        this.architecture = architecture;
    }

    /** The {@code model_type} of config.json, also the family name in {@link io.fairlane.engine.ModelInfo}. */
    public String modelType() {
        return modelType;
    }

    /** The {@code architectures[0]} of config.json. */
    public String architecture() {
        return architecture;
    }

    static Optional<ModelFamily> byArchitecture(String architecture) {
        for (ModelFamily f : values()) {
            if (f.architecture.equals(architecture)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }

    static Optional<ModelFamily> byModelType(String modelType) {
        for (ModelFamily f : values()) {
            if (f.modelType.equals(modelType)) {
                return Optional.of(f);
            }
        }
        return Optional.empty();
    }
}
