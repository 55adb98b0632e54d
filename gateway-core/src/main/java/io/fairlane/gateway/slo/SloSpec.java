package io.fairlane.gateway.slo;

import java.time.Duration;
import java.util.Objects;

/**
 * One service level objective of a tenant: which requests count as good, and what share of them must be.
 *
 * <p>Written in config as a one-line expression ({@link #parse}):
 * <pre>
 *   ttft &lt;= 500ms for 99%      # first token within 500 ms for 99% of generations; errors are bad
 *   e2e &lt;= 30s for 95%         # whole request within 30 s for 95% of requests; errors are bad
 *   availability 99.9%          # 99.9% of requests without a server-side failure
 * </pre>
 * or from the parts of the config's structured form ({@link #of}), which also offers {@code itl} and
 * {@code queue_time}.
 * The {@linkplain #name() name} becomes the {@code slo} label of every SLO metric; by default it is derived
 * from the expression ({@code ttft_500ms}, {@code e2e_30s}, {@code availability}).
 */
public sealed interface SloSpec {

    /** The {@code slo} label value: letters, digits, {@code _ . -}. */
    String name();

    /** The share of good events the SLO promises, in (0, 1). */
    double objective();

    /** Whether {@code outcome} is good or bad for this SLO, or not counted at all. */
    Classification classify(RequestOutcome outcome);

    /** The same SLO under another name. */
    SloSpec withName(String newName);

    /** The expression this SLO is written as in config. */
    String expression();

    /** The result of {@link #classify}. */
    enum Classification { GOOD, BAD, NOT_APPLICABLE }

    /**
     * A latency SLO: a request is good when the indicator is at most {@code threshold}; failures are bad.
     */
    record Latency(String name, SloIndicator indicator, Duration threshold, double objective) implements SloSpec {
        public Latency {
            checkName(name);
            Objects.requireNonNull(indicator, "indicator");
            Objects.requireNonNull(threshold, "threshold");
            if (threshold.isNegative() || threshold.isZero()) {
                throw new IllegalArgumentException("threshold of SLO " + name + " must be > 0, was " + threshold);
            }
            checkObjective(name, objective);
        }

        @Override
        public Classification classify(RequestOutcome outcome) {
            return switch (outcome) {
                case RequestOutcome.Failed failed -> !failed.generatesTokens() && measuresTokens()
                        ? Classification.NOT_APPLICABLE : Classification.BAD;
                case RequestOutcome.Completed completed -> {
                    Duration measured = switch (indicator) {
                        case TIME_TO_FIRST_TOKEN -> completed.timeToFirstToken().orElse(null);
                        case INTER_TOKEN_LATENCY -> completed.interTokenLatency().orElse(null);
                        case END_TO_END_LATENCY -> completed.endToEnd();
                        case QUEUE_TIME -> completed.queueTime().orElse(null);
                    };
                    if (measured == null) {
                        yield Classification.NOT_APPLICABLE;
                    }
                    yield measured.compareTo(threshold) <= 0 ? Classification.GOOD : Classification.BAD;
                }
                case RequestOutcome.Abandoned left -> abandoned(left);
            };
        }

        /** What was settled when the client left (see {@link RequestOutcome.Abandoned}). */
        private Classification abandoned(RequestOutcome.Abandoned left) {
            if (measuresTokens() && !left.generatesTokens()) {
                return Classification.NOT_APPLICABLE;
            }
            Duration measured = switch (indicator) {
                case TIME_TO_FIRST_TOKEN -> left.timeToFirstToken().orElse(null);
                case INTER_TOKEN_LATENCY -> left.interTokenLatency().orElse(null);
                case END_TO_END_LATENCY -> null;
                case QUEUE_TIME -> left.queueTime().orElse(null);
            };
            if (measured != null) {
                return measured.compareTo(threshold) <= 0 ? Classification.GOOD : Classification.BAD;
            }
            // No measure: a wait already past the threshold is a miss, unless the measure is the mean token
            // gap, which a long wait for the first token says nothing about.
            boolean overdue = indicator != SloIndicator.INTER_TOKEN_LATENCY && left.elapsed().compareTo(threshold) > 0;
            return overdue ? Classification.BAD : Classification.NOT_APPLICABLE;
        }

        private boolean measuresTokens() {
            return indicator == SloIndicator.TIME_TO_FIRST_TOKEN || indicator == SloIndicator.INTER_TOKEN_LATENCY;
        }

        @Override
        public Latency withName(String newName) {
            return new Latency(newName, indicator, threshold, objective);
        }

        @Override
        public String expression() {
            return indicator.configName() + " <= " + SloExpressions.formatDuration(threshold)
                    + " for " + SloExpressions.formatPercent(objective);
        }
    }

    /**
     * An availability ({@code errors}) SLO: every answered request is good, every failure bad; a request whose
     * client left first is neither.
     */
    record Availability(String name, double objective) implements SloSpec {
        public Availability {
            checkName(name);
            checkObjective(name, objective);
        }

        @Override
        public Classification classify(RequestOutcome outcome) {
            return switch (outcome) {
                case RequestOutcome.Failed f -> Classification.BAD;
                case RequestOutcome.Completed c -> Classification.GOOD;
                case RequestOutcome.Abandoned a -> Classification.NOT_APPLICABLE;
            };
        }

        @Override
        public Availability withName(String newName) {
            return new Availability(newName, objective);
        }

        @Override
        public String expression() {
            return "availability " + SloExpressions.formatPercent(objective);
        }
    }

    /**
     * An SLO from the parts of the structured config form
     * ({@code {name: fast, metric: ttft, threshold: 500ms, objective: 0.99}}).
     *
     * @param metric    {@code ttft}, {@code itl}, {@code e2e}, {@code queue_time} or {@code errors}
     * @param threshold required for latency metrics; ignored (may be null or zero) for {@code errors}
     * @throws IllegalArgumentException naming what is wrong
     */
    static SloSpec of(String name, String metric, Duration threshold, double objective) {
        Objects.requireNonNull(metric, "metric");
        if (metric.equals("errors") || metric.equals("availability")) {
            return new Availability(name, objective);
        }
        SloIndicator indicator = SloIndicator.fromConfigName(metric);
        if (indicator == null) {
            throw new IllegalArgumentException("SLO " + name + ": unknown metric '" + metric
                    + "' (expected ttft, itl, e2e, queue_time or errors)");
        }
        return new Latency(name, indicator, threshold, objective);
    }

    /**
     * Parses an SLO expression ({@code ttft <= 500ms for 99%}, {@code e2e <= 2.5s for 95%},
     * {@code availability 99.9%}). Durations take {@code ms}, {@code s} or {@code m}; the objective is a
     * percentage strictly between 0 and 100.
     *
     * @throws IllegalArgumentException naming the expression and what is wrong with it
     */
    static SloSpec parse(String expression) {
        return SloExpressions.parse(expression);
    }

    private static void checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (!SloExpressions.NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("SLO name must be 1-64 of [A-Za-z0-9_.-], was '" + name + "'");
        }
    }

    private static void checkObjective(String name, double objective) {
        if (!(objective > 0 && objective < 1)) {
            throw new IllegalArgumentException("objective of SLO " + name + " must be in (0, 1), was " + objective);
        }
    }
}
