package io.fairlane.conformance.report;

import static java.util.Objects.requireNonNull;

import io.fairlane.conformance.check.CheckResult;
import io.fairlane.conformance.check.Status;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One conformance run.
 *
 * @param target the base URL that was checked
 * @param model the chat model used
 * @param started when the run began
 * @param elapsed how long it took
 * @param openapi the OpenAPI document used for schema checks, or null when none was found
 * @param requests how many requests the run sent
 * @param results one result per selected check, in run order
 */
public record Report(String target, String model, Instant started, Duration elapsed, String openapi,
        int requests, List<CheckResult> results) {

    public Report {
        requireNonNull(target, "target");
        requireNonNull(model, "model");
        requireNonNull(started, "started");
        requireNonNull(elapsed, "elapsed");
        results = List.copyOf(results);
    }

    public long count(Status status) {
        return results.stream().filter(r -> r.status() == status).count();
    }

    /** Whether no check failed (not applicable checks do not fail a run). */
    public boolean passed() {
        return count(Status.FAIL) == 0;
    }
}
