package io.fairlane.conformance.check;

import static java.util.Objects.requireNonNull;

/**
 * Thrown by a check (or by the context while preparing what a check needs) when the check cannot be
 * judged on this server or with these options; the message is the reason the report shows.
 */
public final class NotApplicable extends RuntimeException {

    public NotApplicable(String reason) {
        super(requireNonNull(reason, "reason"), null, false, false);
    }
}
