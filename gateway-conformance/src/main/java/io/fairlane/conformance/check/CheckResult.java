package io.fairlane.conformance.check;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The outcome of one check.
 *
 * @param id stable check id (e.g. {@code tools.stream-first-delta})
 * @param suite the suite it belongs to
 * @param title what the check verifies, one line
 * @param status pass, fail or not applicable
 * @param reason for a failure, the failures joined; for not applicable, why; for a pass, what was verified
 * @param findings each failure or observation on its own
 * @param evidence the exchanges that show it
 */
public record CheckResult(String id, Suite suite, String title, Status status, String reason, List<String> findings,
        List<Evidence> evidence) {

    public CheckResult {
        requireNonNull(id, "id");
        requireNonNull(suite, "suite");
        requireNonNull(title, "title");
        requireNonNull(status, "status");
        requireNonNull(reason, "reason");
        findings = List.copyOf(findings);
        evidence = List.copyOf(evidence);
    }
}
