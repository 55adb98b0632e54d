package io.fairlane.conformance.check;

import io.fairlane.conformance.wire.Exchange;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects what one check found: failures (any one fails the check), observations, and the exchanges
 * that show both. Confined to the thread running the check.
 */
public final class Findings {

    private static final int MAX_EVIDENCE = 6;

    private final List<String> failures = new ArrayList<>();
    private final List<String> observations = new ArrayList<>();
    private final List<Evidence> evidence = new ArrayList<>();
    private final List<Exchange> shown = new ArrayList<>();

    /** Records a failure, with the exchange that shows it. */
    public void fail(String message, Exchange exchange) {
        fail(message, exchange, null);
    }

    /** Records a failure, with the exchange and the excerpt of its response that shows it. */
    public void fail(String message, Exchange exchange, String excerpt) {
        failures.add(message);
        if (exchange != null) {
            show(exchange, "fails: " + message, excerpt);
        }
    }

    /** Records a failure unless {@code condition} holds; returns the condition. */
    public boolean require(boolean condition, String message, Exchange exchange) {
        if (!condition) {
            fail(message, exchange);
        }
        return condition;
    }

    /** Records what was verified (shown for passing checks) and the exchange that shows it. */
    public void observe(String message, Exchange exchange) {
        observations.add(message);
        if (exchange != null) {
            show(exchange, message, null);
        }
    }

    private void show(Exchange exchange, String note, String excerpt) {
        if (evidence.size() >= MAX_EVIDENCE) {
            return;
        }
        if (excerpt == null && shown.contains(exchange)) {
            return;
        }
        shown.add(exchange);
        evidence.add(Evidence.of(exchange, note, excerpt));
    }

    boolean failed() {
        return !failures.isEmpty();
    }

    List<String> failures() {
        return List.copyOf(failures);
    }

    List<String> observations() {
        return List.copyOf(observations);
    }

    List<Evidence> evidence() {
        return List.copyOf(evidence);
    }
}
