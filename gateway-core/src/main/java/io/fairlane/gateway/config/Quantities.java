package io.fairlane.gateway.config;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Parses the human units of the configuration file: durations ({@code 500ms}, {@code 10s}, {@code 6m},
 * {@code 1h}) and sizes ({@code 16MiB}, {@code 512KiB}, {@code 1GB}, or plain bytes).
 */
public final class Quantities {

    private static final Pattern DURATION = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*(ns|us|ms|s|m|h|d)");
    private static final Pattern SIZE = Pattern.compile("(\\d+(?:\\.\\d+)?)\\s*([kmgt]i?b|b)?");

    private Quantities() {
    }

    /** A duration such as {@code 250ms} or {@code 1.5s}; throws IllegalArgumentException with the reason. */
    public static Duration duration(String text) {
        Matcher m = DURATION.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a duration like 500ms, 10s, 5m or 1h, got '" + text + "'");
        }
        double value = Double.parseDouble(m.group(1));
        double nanosPerUnit = switch (m.group(2)) {
            case "ns" -> 1;
            case "us" -> 1e3;
            case "ms" -> 1e6;
            case "s" -> 1e9;
            case "m" -> 60e9;
            case "h" -> 3600e9;
            default -> 86400e9;
        };
        return Duration.ofNanos(Math.round(value * nanosPerUnit));
    }

    /** A size in bytes such as {@code 16MiB}, {@code 64KiB}, {@code 1GB} or {@code 1024}. */
    public static long bytes(String text) {
        Matcher m = SIZE.matcher(text.trim().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
            throw new IllegalArgumentException("expected a size like 16MiB, 512KiB or 1024, got '" + text + "'");
        }
        double value = Double.parseDouble(m.group(1));
        String unit = m.group(2) == null ? "b" : m.group(2);
        double factor = switch (unit) {
            case "b" -> 1;
            case "kb" -> 1e3;
            case "kib" -> 1024;
            case "mb" -> 1e6;
            case "mib" -> 1024 * 1024;
            case "gb" -> 1e9;
            case "gib" -> 1024.0 * 1024 * 1024;
            case "tb" -> 1e12;
            default -> 1024.0 * 1024 * 1024 * 1024;
        };
        return Math.round(value * factor);
    }
}
