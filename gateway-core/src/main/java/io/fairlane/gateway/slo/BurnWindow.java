package io.fairlane.gateway.slo;

import java.time.Duration;

/**
 * The windows over which the gateway computes burn rates in process: the short and long windows of the
 * SRE Workbook's two paging conditions (5 m with 1 h, 30 m with 6 h). The ticket condition's 3-day window
 * is left to Prometheus, which keeps the history anyway.
 */
public enum BurnWindow {
    FIVE_MINUTES("5m", Duration.ofMinutes(5)),
    THIRTY_MINUTES("30m", Duration.ofMinutes(30)),
    ONE_HOUR("1h", Duration.ofHours(1)),
    SIX_HOURS("6h", Duration.ofHours(6));

    private final String label;
    private final Duration length;

    BurnWindow(String label, Duration length) {
        this.label = label;
        this.length = length;
    }

    /** The {@code window} label value, in Prometheus duration syntax. */
    public String label() {
        return label;
    }

    public Duration length() {
        return length;
    }

    /** The longest window: how much history a tracker must keep. */
    static Duration longest() {
        return SIX_HOURS.length;
    }
}
