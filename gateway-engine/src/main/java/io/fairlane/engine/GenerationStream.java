package io.fairlane.engine;

/** A submitted generation. Events arrive at the {@link TokenSink} given to {@link InferenceEngine#submit}. */
public interface GenerationStream {

    String requestId();

    /** Same as {@link InferenceEngine#abort} for this request: frees its KV blocks at once. */
    void cancel();
}
