package io.fairlane.engine.exec;

import java.util.List;

/**
 * The outputs of one forward step, one per sequence of the {@link BatchInput}, in the same order.
 *
 * @param outputs one per input sequence
 */
public record StepResult(List<SequenceOutput> outputs) {

    public StepResult {
        outputs = List.copyOf(outputs);
    }

    public SequenceOutput get(int i) {
        return outputs.get(i);
    }

    public int size() {
        return outputs.size();
    }

    /** The sampled token of sequence {@code i}; it must have asked for {@link SequenceInput.Output#SAMPLE}. */
    public int token(int i) {
        if (outputs.get(i) instanceof SequenceOutput.Sampled s) {
            return s.tokenId();
        }
        throw new IllegalStateException("sequence " + i + " did not sample, its output is " + outputs.get(i));
    }

    /** The logits of sequence {@code i}; it must have asked for {@link SequenceInput.Output#LOGITS}. */
    public float[] logits(int i) {
        if (outputs.get(i) instanceof SequenceOutput.Logits l) {
            return l.values();
        }
        throw new IllegalStateException("sequence " + i + " did not ask for logits, its output is " + outputs.get(i));
    }

    @Override
    public String toString() {
        return "StepResult[" + outputs.size() + " sequences]";
    }
}
