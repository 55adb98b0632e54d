package io.fairlane.gateway.slo;

import java.util.List;
import java.util.Objects;

/**
 * A snapshot of one tenant SLO for the usage API: its definition and, per window, the events seen and
 * the burn rate.
 *
 * @param tenant     the tenant's id
 * @param slo        the SLO's name (the {@code slo} label)
 * @param expression the SLO as written in config, e.g. {@code ttft <= 500ms for 99%}
 * @param objective  the promised share of good events
 * @param windows    one entry per {@link BurnWindow}, shortest first
 * @param paging     whether either paging condition of the shipped alert rules holds on the in-process
 *                   windows: 1 h and 5 m both above {@value #FAST_BURN}, or 6 h and 30 m both above
 *                   {@value #SLOW_BURN}
 */
public record SloStatus(String tenant, String slo, String expression, double objective, List<Window> windows,
                        boolean paging) {

    /** Burn rate that spends 2% of a 30-day budget in 1 hour (SRE Workbook, ch. 5). */
    public static final double FAST_BURN = 14.4;
    /** Burn rate that spends 5% of a 30-day budget in 6 hours. */
    public static final double SLOW_BURN = 6;

    public SloStatus {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(slo, "slo");
        Objects.requireNonNull(expression, "expression");
        windows = List.copyOf(windows);
    }

    /**
     * @param window   the window label (5m, 30m, 1h, 6h)
     * @param good     good events within it
     * @param bad      bad events within it
     * @param burnRate {@code (bad/total)/(1-objective)}, 0 without events
     */
    public record Window(String window, long good, long bad, double burnRate) {
        public Window {
            Objects.requireNonNull(window, "window");
        }
    }
}
