package io.fairlane.gateway.slo;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
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
 * @param alert      which paging condition of the shipped alert rules holds on this replica's in-process
 *                   windows, the more urgent one when both do
 */
public record SloStatus(String tenant, String slo, String expression, double objective, List<Window> windows,
                        Alert alert) {

    /** Burn rate that spends 2% of a 30-day budget in 1 hour (SRE Workbook, ch. 5). */
    public static final double FAST_BURN = 14.4;
    /** Burn rate that spends 5% of a 30-day budget in 6 hours. */
    public static final double SLOW_BURN = 6;

    public SloStatus {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(slo, "slo");
        Objects.requireNonNull(expression, "expression");
        windows = List.copyOf(windows);
        Objects.requireNonNull(alert, "alert");
    }

    /** The state of {@code spec} for {@code tenant} as its burn-rate buckets hold it now. */
    public static SloStatus of(String tenant, SloSpec spec, BurnRateTracker buckets) {
        Map<BurnWindow, Double> burn = new EnumMap<>(BurnWindow.class);
        List<Window> windows = new ArrayList<>();
        for (BurnWindow window : BurnWindow.values()) {
            WindowCounts counts = buckets.counts(window);
            double rate = counts.burnRate(spec.objective());
            burn.put(window, rate);
            windows.add(new Window(window.label(), counts.good(), counts.bad(), rate));
        }
        Alert alert = Alert.NONE;
        if (burn.get(BurnWindow.ONE_HOUR) > FAST_BURN && burn.get(BurnWindow.FIVE_MINUTES) > FAST_BURN) {
            alert = Alert.FAST_BURN;
        } else if (burn.get(BurnWindow.SIX_HOURS) > SLOW_BURN && burn.get(BurnWindow.THIRTY_MINUTES) > SLOW_BURN) {
            alert = Alert.SLOW_BURN;
        }
        return new SloStatus(tenant, spec.name(), spec.expression(), spec.objective(), windows, alert);
    }

    /** Whether either paging condition holds. */
    public boolean paging() {
        return alert != Alert.NONE;
    }

    /**
     * The paging conditions of docker/prometheus/rules/fairlane-slo.yml, evaluated on the in-process windows.
     * The rules' ticket condition needs a 3-day window, which only Prometheus keeps.
     */
    public enum Alert {
        /** Neither condition holds. */
        NONE("none"),
        /** 6 h and 30 m burn both above {@value SloStatus#SLOW_BURN} ({@code FairlaneSloSlowBurn}). */
        SLOW_BURN("slow_burn"),
        /** 1 h and 5 m burn both above {@value SloStatus#FAST_BURN} ({@code FairlaneSloFastBurn}). */
        FAST_BURN("fast_burn");

        private final String wireName;

        Alert(String wireName) {
            this.wireName = wireName;
        }

        /** The name the usage API shows. */
        public String wireName() {
            return wireName;
        }
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
