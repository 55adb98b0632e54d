package io.fairlane.engine;

import java.util.List;

/**
 * @param vectors      one L2-normalised vector per input, in input order
 * @param promptTokens tokens of all inputs together
 */
public record EmbeddingResult(List<float[]> vectors, int promptTokens) {

    public EmbeddingResult {
        vectors = List.copyOf(vectors);
    }
}
