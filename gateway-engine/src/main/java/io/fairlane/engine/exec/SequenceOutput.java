package io.fairlane.engine.exec;

import io.fairlane.engine.sampling.SampleResult;
import java.util.Objects;

/** What a step produced for one sequence, matching its {@link SequenceInput.Output}. */
public sealed interface SequenceOutput {

    /** For {@link SequenceInput.Output#NONE}. */
    record Nothing() implements SequenceOutput {
        public static final Nothing INSTANCE = new Nothing();
    }

    /** For {@link SequenceInput.Output#SAMPLE}. */
    record Sampled(SampleResult result) implements SequenceOutput {
        public Sampled {
            Objects.requireNonNull(result, "result");
        }

        public int tokenId() {
            return result.tokenId();
        }
    }

    /** For {@link SequenceInput.Output#LOGITS}: {@code [vocab]}. */
    record Logits(float[] values) implements SequenceOutput {
        public Logits {
            Objects.requireNonNull(values, "values");
        }

        @Override
        public String toString() {
            return "Logits[" + values.length + "]";
        }
    }

    /** For {@link SequenceInput.Output#HIDDEN_MEAN}: {@code [hidden]}, not normalised. */
    record HiddenMean(float[] values) implements SequenceOutput {
        public HiddenMean {
            Objects.requireNonNull(values, "values");
        }

        @Override
        public String toString() {
            return "HiddenMean[" + values.length + "]";
        }
    }
}
