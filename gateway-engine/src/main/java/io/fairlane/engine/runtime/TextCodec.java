package io.fairlane.engine.runtime;

/** Token ids to text, incrementally, and per-token text for log probabilities. */
interface TextCodec {

    /** A decoder for one choice's output (special tokens skipped). */
    IncrementalDecoder newDecoder();

    /** Whole-sequence decoding (for token-array prompts). */
    String decode(int[] tokenIds);

    /** One token's text as OpenAI's logprobs show it (may render a partial UTF-8 sequence). */
    String tokenText(int tokenId);

    /** One token's raw UTF-8 bytes. */
    byte[] tokenBytes(int tokenId);

    /** Whether a token is special (chat markers and the like: skipped in decoded output). */
    default boolean isSpecial(int tokenId) {
        return false;
    }

    /** Turns one choice's tokens into text without ever splitting a UTF-8 sequence. */
    interface IncrementalDecoder {

        /** Text that {@code tokenId} completes; empty while a multi-byte character is incomplete. */
        String next(int tokenId);

        /** Whatever is still held, once, when the choice ends. */
        String flush();
    }
}
