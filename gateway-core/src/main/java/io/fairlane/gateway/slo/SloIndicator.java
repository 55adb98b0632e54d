package io.fairlane.gateway.slo;

/**
 * What a latency SLO measures. The {@linkplain #configName() config name} is the word used in config
 * ({@code metric: ttft}) and in an SLO expression such as {@code ttft <= 500ms for 99%}.
 */
public enum SloIndicator {

    /** Time from the request's arrival to the first generated token reaching the client. */
    TIME_TO_FIRST_TOKEN("ttft"),

    /**
     * The request's mean gap between consecutive output tokens (time per output token after the first, as
     * DistServe's TPOT): one slow step does not fail a long answer, a slow stream does.
     */
    INTER_TOKEN_LATENCY("itl"),

    /** Time from the request's arrival to its last byte. */
    END_TO_END_LATENCY("e2e"),

    /** Time the request waited in its lane's tenant scheduler before it started. */
    QUEUE_TIME("queue_time");

    private final String configName;

    SloIndicator(String configName) {
        this.configName = configName;
    }

    /** The word for this indicator in SLO expressions and default SLO names. */
    public String configName() {
        return configName;
    }

    /** The indicator a config word names ({@code ttft}, {@code itl}, {@code e2e}, {@code queue_time}), or null. */
    public static SloIndicator fromConfigName(String word) {
        for (SloIndicator indicator : values()) {
            if (indicator.configName.equals(word)) {
                return indicator;
            }
        }
        return null;
    }
}
