package io.fairlane.engine.tokenizer;

import java.util.List;

/**
 * The {@code post_processor} section of a {@code tokenizer.json}, reduced to what matters for a single
 * sequence's ids: which special tokens go before and after it when special tokens are requested.
 */
sealed interface PostProcessor {

    int[] before();

    int[] after();

    /** Adds the special tokens around {@code ids}. */
    default int[] apply(int[] ids) {
        int[] b = before();
        int[] a = after();
        if (b.length == 0 && a.length == 0) {
            return ids;
        }
        int[] out = new int[b.length + ids.length + a.length];
        System.arraycopy(b, 0, out, 0, b.length);
        System.arraycopy(ids, 0, out, b.length, ids.length);
        System.arraycopy(a, 0, out, b.length + ids.length, a.length);
        return out;
    }

    /** Special tokens around the sequence ({@code TemplateProcessing}, {@code BertProcessing}, ...). */
    record Surround(int[] before, int[] after) implements PostProcessor {
        @Override
        public String toString() {
            return "Surround[" + java.util.Arrays.toString(before) + ", " + java.util.Arrays.toString(after) + "]";
        }
    }

    /** Processors applied in order (each wraps the result of the previous). */
    record Sequence(List<PostProcessor> steps) implements PostProcessor {
        public Sequence {
            steps = List.copyOf(steps);
        }

        @Override
        public int[] before() {
            IntList out = new IntList(4);
            for (int i = steps.size() - 1; i >= 0; i--) {
                out.addAll(steps.get(i).before());
            }
            return out.toArray();
        }

        @Override
        public int[] after() {
            IntList out = new IntList(4);
            for (PostProcessor step : steps) {
                out.addAll(step.after());
            }
            return out.toArray();
        }
    }

    static PostProcessor none() {
        return new Surround(new int[0], new int[0]);
    }
}
