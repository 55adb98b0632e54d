package io.fairlane.gateway.slo;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** The one-line SLO expression grammar of {@link SloSpec#parse}: parsing and printing. */
final class SloExpressions {

    private static final String NUMBER = "(\\d+(?:\\.\\d+)?)";
    private static final Pattern LATENCY = Pattern.compile(
            "([a-z0-9_]+)\\s*<=\\s*" + NUMBER + "\\s*(ms|s|m)\\s+for\\s+" + NUMBER + "\\s*%");
    private static final Pattern AVAILABILITY = Pattern.compile("(?:availability|errors)\\s+(?:for\\s+)?" + NUMBER + "\\s*%");
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,64}");

    private SloExpressions() {
    }

    static SloSpec parse(String expression) {
        Objects.requireNonNull(expression, "expression");
        String text = expression.strip().toLowerCase(Locale.ROOT);
        Matcher latency = LATENCY.matcher(text);
        if (latency.matches()) {
            SloIndicator indicator = SloIndicator.fromConfigName(latency.group(1));
            if (indicator == null) {
                throw new IllegalArgumentException("SLO '" + expression + "': unknown indicator '"
                        + latency.group(1) + "' (expected ttft, itl, e2e or queue_time)");
            }
            Duration threshold = parseDuration(expression, latency.group(2), latency.group(3));
            double objective = parsePercent(expression, latency.group(4));
            String name = indicator.configName() + "_" + formatDuration(threshold).replace('.', '_');
            return new SloSpec.Latency(name, indicator, threshold, objective);
        }
        Matcher availability = AVAILABILITY.matcher(text);
        if (availability.matches()) {
            return new SloSpec.Availability("availability", parsePercent(expression, availability.group(1)));
        }
        throw new IllegalArgumentException("SLO '" + expression + "' is not of the form "
                + "'ttft <= 500ms for 99%', 'e2e <= 30s for 95%' or 'availability 99.9%'");
    }

    private static Duration parseDuration(String expression, String number, String unit) {
        BigDecimal value = new BigDecimal(number);
        BigDecimal millis = switch (unit) {
            case "ms" -> value;
            case "s" -> value.movePointRight(3);
            case "m" -> value.multiply(BigDecimal.valueOf(60_000));
            default -> throw new IllegalArgumentException("SLO '" + expression + "': unknown unit " + unit);
        };
        BigDecimal nanos = millis.movePointRight(6);
        if (nanos.signum() <= 0) {
            throw new IllegalArgumentException("SLO '" + expression + "': threshold must be > 0");
        }
        try {
            return Duration.ofNanos(nanos.longValueExact());
        } catch (ArithmeticException e) {
            throw new IllegalArgumentException("SLO '" + expression + "': threshold " + number + unit
                    + " is not a whole number of nanoseconds or too large", e);
        }
    }

    private static double parsePercent(String expression, String number) {
        BigDecimal percent = new BigDecimal(number);
        if (percent.signum() <= 0 || percent.compareTo(BigDecimal.valueOf(100)) >= 0) {
            throw new IllegalArgumentException("SLO '" + expression + "': objective must be strictly between 0% "
                    + "and 100%, was " + number + "%");
        }
        return percent.movePointLeft(2).doubleValue(); // 99.9 -> 0.999 exactly as written, not 0.9990000000000001
    }

    /** {@code 500ms}, {@code 2s}, {@code 2500ms}, {@code 1.5ms}: whole seconds as s, anything else as ms. */
    static String formatDuration(Duration duration) {
        long nanos = duration.toNanos();
        if (nanos % 1_000_000_000L == 0) {
            return nanos / 1_000_000_000L + "s";
        }
        return new BigDecimal(nanos).movePointLeft(6).stripTrailingZeros().toPlainString() + "ms";
    }

    /** {@code 0.99} → {@code 99%}, {@code 0.999} → {@code 99.9%}. */
    static String formatPercent(double objective) {
        return BigDecimal.valueOf(objective).movePointRight(2).stripTrailingZeros().toPlainString() + "%";
    }
}
