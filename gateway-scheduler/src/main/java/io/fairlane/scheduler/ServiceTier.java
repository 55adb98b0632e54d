package io.fairlane.scheduler;

import java.util.Locale;
import java.util.Optional;

/**
 * The OpenAI {@code service_tier} values Fairlane schedules by. {@code auto} is not a tier of its own:
 * the gateway resolves it to the best tier the tenant may use before the work reaches a scheduler.
 *
 * <ul>
 *   <li>{@link #PRIORITY}: served first within its tenant's share.</li>
 *   <li>{@link #DEFAULT}: ordinary work.</li>
 *   <li>{@link #FLEX}: only uses capacity that no priority or default work of any tenant wants.</li>
 * </ul>
 */
public enum ServiceTier {
    PRIORITY,
    DEFAULT,
    FLEX;

    /** The value as it appears on the wire ({@code "priority"}, {@code "default"}, {@code "flex"}). */
    public String wireName() {
        return name().toLowerCase(Locale.ROOT);
    }

    /** Parses a wire value other than {@code auto}; empty for anything unknown. */
    public static Optional<ServiceTier> fromWire(String value) {
        if (value == null) {
            return Optional.empty();
        }
        return switch (value) {
            case "priority" -> Optional.of(PRIORITY);
            case "default" -> Optional.of(DEFAULT);
            case "flex" -> Optional.of(FLEX);
            default -> Optional.empty();
        };
    }
}
