package io.fairlane.gateway.slo;

/**
 * Names, units and descriptions of the SLO meters (the team's fixed names; Prometheus renders
 * {@code fairlane_slo_events_total}, {@code fairlane_slo_objective}, {@code fairlane_slo_burn_rate}).
 * The Prometheus rules under docker/prometheus/rules and the Grafana dashboard query these names.
 * None has a base unit: Micrometer's Prometheus naming would append it to the name.
 */
enum SloMeters {
    EVENTS("fairlane.slo.events",
            "Requests classified against a tenant's SLO, by outcome (good or bad); failures are bad"),
    OBJECTIVE("fairlane.slo.objective",
            "The share of good events a tenant's SLO promises, e.g. 0.99"),
    BURN_RATE("fairlane.slo.burn.rate",
            "Error-budget burn rate, (bad/total)/(1-objective), over the window; 0 for a window without events");

    static final String TENANT = "tenant";
    static final String SLO = "slo";
    static final String WINDOW = "window";
    static final String OUTCOME = "outcome";

    private final String meterName;
    private final String description;

    SloMeters(String meterName, String description) {
        this.meterName = meterName;
        this.description = description;
    }

    String meterName() {
        return meterName;
    }

    String description() {
        return description;
    }
}
