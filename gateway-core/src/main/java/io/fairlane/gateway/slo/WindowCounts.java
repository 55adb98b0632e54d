package io.fairlane.gateway.slo;

import java.math.BigDecimal;

/**
 * Good and bad events of one SLO within one window.
 *
 * @param good events that met the SLO
 * @param bad  events that missed it (including failures)
 */
public record WindowCounts(long good, long bad) {

    public static final WindowCounts EMPTY = new WindowCounts(0, 0);

    public WindowCounts {
        if (good < 0 || bad < 0) {
            throw new IllegalArgumentException("counts must be >= 0, were good=" + good + " bad=" + bad);
        }
    }

    public long total() {
        return good + bad;
    }

    /** Share of bad events, 0 when the window saw none at all. */
    public double badRatio() {
        long total = total();
        return total == 0 ? 0 : (double) bad / total;
    }

    /**
     * How fast this window spends the error budget of {@code objective}: {@code badRatio / (1 - objective)}.
     * An empty window spends nothing and reads 0 (not NaN), so a quiet tenant's gauge stays at 0.
     */
    public double burnRate(double objective) {
        if (!(objective > 0 && objective < 1)) {
            throw new IllegalArgumentException("objective must be in (0, 1), was " + objective);
        }
        // The budget via decimal arithmetic: 1 - 0.99 in binary floating point is 0.010000000000000009,
        // which would show a burn of 100% bad events as 99.99999999999991.
        double budget = BigDecimal.ONE.subtract(BigDecimal.valueOf(objective)).doubleValue();
        return badRatio() / budget;
    }
}
