package io.fairlane.engine;

import java.util.List;

/**
 * What the gateway needs to know about a loaded model.
 *
 * @param id             the model's served name
 * @param family         architecture family ({@code llama}, {@code qwen2}, {@code qwen3}, {@code mistral})
 * @param contextLength  the most tokens (prompt plus output) one sequence may hold
 * @param vocabSize      size of the output vocabulary
 * @param hiddenSize     width of the final hidden state (the embedding dimension)
 * @param hasChatTemplate whether chat prompts can be rendered
 * @param backend        the backend running it ({@code cpu} or {@code cuda}), for logs and fingerprints
 * @param fingerprint    a stable identifier of weights and engine configuration ({@code system_fingerprint})
 * @param eosTokenIds    the token ids that end a generation
 */
public record ModelInfo(
        String id,
        String family,
        int contextLength,
        int vocabSize,
        int hiddenSize,
        boolean hasChatTemplate,
        String backend,
        String fingerprint,
        List<Integer> eosTokenIds) {

    public ModelInfo {
        eosTokenIds = List.copyOf(eosTokenIds);
    }
}
