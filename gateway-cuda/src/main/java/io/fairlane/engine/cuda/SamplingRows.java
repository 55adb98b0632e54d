package io.fairlane.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;

/**
 * Host-side layout of sampling.cu's {@code SampleParams}: 48 bytes per logits row.
 * <pre>
 *   0 float temperature   4 float top_p   8 float min_p   12 int top_k
 *  16 long seed          24 long counter  32 int num_logprobs   36 int logits_row   40 long reserved
 * </pre>
 */
final class SamplingRows {

    static final int BYTES = 48;

    private SamplingRows() {
    }

    static void write(MemorySegment dst, int row, float temperature, float topP, float minP, int topK, long seed,
                      long counter, int numLogprobs) {
        write(dst, row, row, temperature, topP, minP, topK, seed, counter, numLogprobs);
    }

    /** A sample row {@code row} that reads logits row {@code logitsRow}. */
    static void write(MemorySegment dst, int row, int logitsRow, float temperature, float topP, float minP, int topK,
                      long seed, long counter, int numLogprobs) {
        long o = (long) row * BYTES;
        dst.set(ValueLayout.JAVA_FLOAT, o, temperature);
        dst.set(ValueLayout.JAVA_FLOAT, o + 4, topP);
        dst.set(ValueLayout.JAVA_FLOAT, o + 8, minP);
        dst.set(ValueLayout.JAVA_INT, o + 12, topK);
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, o + 16, seed);
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, o + 24, counter);
        dst.set(ValueLayout.JAVA_INT, o + 32, numLogprobs);
        dst.set(ValueLayout.JAVA_INT, o + 36, logitsRow);
        dst.set(ValueLayout.JAVA_LONG_UNALIGNED, o + 40, 0L);
    }
}
