package io.fairlane.engine.runtime;

/** Token ids to text, incrementally. */
interface TextCodec {

    /**
     * A decoder for one choice's output. {@code promptTokens} give context for tokenizers whose rendering of
     * a token depends on what precedes it (SentencePiece leading spaces).
     */
    IncrementalDecoder newDecoder(int[] promptTokens);

    /** Whole-sequence decoding (for {@code echo} and token-array prompts). */
    String decode(int[] tokenIds);

    /** Turns one choice's tokens into text without ever splitting a UTF-8 sequence. */
    interface IncrementalDecoder {

        /** Text that {@code tokenId} completes; empty while a multi-byte character is incomplete. */
        String next(int tokenId);

        /** Whatever is still held (an incomplete character at the end, rendered as replacement characters). */
        String finish();
    }
}
