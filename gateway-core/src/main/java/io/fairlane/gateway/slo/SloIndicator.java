package io.fairlane.gateway.slo;

/**
 * What a latency SLO measures. The {@linkplain #configName() config name} is the word used in an SLO
 * expression such as {@code ttft <= 500ms for 99%}.
 */
public enum SloIndicator {

    /** Time from the request's arrival to the first generated token reaching the client. */
    TIME_TO_FIRST_TOKEN("ttft"),

    /** Time from the request's arrival to its last byte. */
    END_TO_END_LATENCY("e2e");

    private final String configName;

    SloIndicator(String configName) {
        this.configName = configName;
    }

    /** The word for this indicator in SLO expressions and default SLO names. */
    public String configName() {
        return configName;
    }

    static SloIndicator fromConfigName(String word) {
        for (SloIndicator indicator : values()) {
            if (indicator.configName.equals(word)) {
                return indicator;
            }
        }
        return null;
    }
}
