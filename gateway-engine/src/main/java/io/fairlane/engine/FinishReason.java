package io.fairlane.engine;

/** Why a choice stopped. The wire names are OpenAI's {@code finish_reason} values. */
public enum FinishReason {
    /** An EOS token or a stop string. */
    STOP("stop"),
    /** {@code max_tokens} or the context length was reached. */
    LENGTH("length"),
    /** The model emitted tool calls (set by the gateway's tool-call parser, not the sampler). */
    TOOL_CALLS("tool_calls");

    private final String wireName;

    FinishReason(String wireName) {
        this.wireName = wireName;
    }

    public String wireName() {
        return wireName;
    }
}
