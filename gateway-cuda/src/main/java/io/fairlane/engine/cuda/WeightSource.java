package io.fairlane.engine.cuda;

import java.util.Optional;

/**
 * Where the uploader reads weights from, by their Hugging Face names ({@code model.layers.3.self_attn.q_proj.weight}).
 * The engine's safetensors loader implements it over memory-mapped files; tests implement it over arrays.
 */
@FunctionalInterface
public interface WeightSource {

    /** The named tensor, or empty when the checkpoint has none by that name. */
    Optional<HostTensor> tensor(String name);
}
