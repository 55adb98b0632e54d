package io.fairlane.engine;

import java.util.List;
import java.util.Objects;

/**
 * What a generation emits, in this order: one {@link Scheduled}; then {@link Token}s and one
 * {@link ChoiceFinished} per choice; then exactly one terminal event, {@link Finished} or {@link Failed}.
 * After a {@link Failed} nothing follows, whatever had been emitted before.
 */
public sealed interface TokenEvent {

    /**
     * The request left the waiting queue and its prefill began.
     *
     * @param queueNanos   time spent waiting in the tenant scheduler
     * @param cachedTokens prompt tokens served from the prefix cache
     */
    record Scheduled(long queueNanos, int cachedTokens) implements TokenEvent {
    }

    /**
     * One output token of one choice.
     *
     * @param choice   choice index in [0, n)
     * @param tokenId  the sampled id
     * @param text     text released by this token; may be empty while a UTF-8 sequence or a possible stop
     *                 string is incomplete, and may carry text held back from earlier tokens
     * @param logprob  the token's log probability and alternatives, or null when not requested
     * @param reasoning whether the token belongs to the model's thinking rather than its answer: a token inside a
     *                 {@code <think>…</think>} block, either tag, or whitespace right after {@code </think>} (see
     *                 {@link ThinkingMode}); its {@code text} is still the raw text, tags included, so a reader
     *                 that ignores the flag sees what it always saw. A token whose bytes run from {@code </think>}
     *                 into the answer is not reasoning. Always false for models that do not think.
     */
    record Token(int choice, int tokenId, String text, TokenLogprob logprob, boolean reasoning)
            implements TokenEvent {

        /** An answer token ({@code reasoning} false). */
        public Token(int choice, int tokenId, String text, TokenLogprob logprob) {
            this(choice, tokenId, text, logprob, false);
        }

        @Override
        public String toString() {
            return "Token[choice=" + choice + ", chars=" + text.length() + (reasoning ? ", reasoning" : "") + "]";
        }
    }

    /**
     * One choice ended.
     *
     * @param choice       choice index
     * @param reason       why
     * @param outputTokens tokens this choice produced
     */
    record ChoiceFinished(int choice, FinishReason reason, int outputTokens) implements TokenEvent {
        public ChoiceFinished {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Every choice ended; usage covers all of them. */
    record Finished(Usage usage) implements TokenEvent {
        public Finished {
            Objects.requireNonNull(usage, "usage");
        }
    }

    /**
     * The generation failed (or was aborted); nothing follows.
     *
     * @param error what went wrong ({@link EngineException.Kind#ABORTED} when the client left)
     * @param usage what the request used before it ended: the prompt tokens computed or found cached and the
     *              tokens generated, the same numbers its tenant is charged ({@link Usage#NONE} when it never ran)
     */
    record Failed(EngineException error, Usage usage) implements TokenEvent {
        public Failed {
            Objects.requireNonNull(error, "error");
            Objects.requireNonNull(usage, "usage");
        }

        /** A failure before anything was used. */
        public Failed(EngineException error) {
            this(error, Usage.NONE);
        }
    }

    /**
     * Log probability of a chosen token, with the top alternatives.
     *
     * @param token   the token's text (may be a partial UTF-8 sequence rendered with replacement characters)
     * @param bytes   the token's raw UTF-8 bytes
     * @param logprob natural-log probability under the sampling distribution's logits (before temperature)
     * @param top     the most likely alternatives, most likely first
     */
    record TokenLogprob(String token, byte[] bytes, double logprob, List<Alternative> top) {
        public TokenLogprob {
            top = List.copyOf(top);
        }
    }

    record Alternative(String token, byte[] bytes, double logprob) {
    }
}
