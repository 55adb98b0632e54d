package io.fairlane.conformance.check;

import static java.util.Objects.requireNonNull;

import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.schema.OpenApiSchemas;
import io.fairlane.conformance.wire.HttpProbe;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * Runs the selected checks against one server and collects a {@link Report}. A check that throws anything
 * other than {@link NotApplicable} fails with the exception as its reason: a harness bug or a response too
 * broken to analyse must show up as a failure, never as a pass.
 */
public final class Harness {

    private final HarnessOptions options;
    private final List<Check> checks;

    public Harness(HarnessOptions options) {
        this(options, Catalogue.all());
    }

    public Harness(HarnessOptions options, List<Check> checks) {
        this.options = requireNonNull(options, "options");
        this.checks = List.copyOf(checks);
        for (String id : options.checks()) {
            if (checks.stream().noneMatch(c -> c.id().equals(id))) {
                throw new IllegalArgumentException("unknown check '" + id + "'");
            }
        }
        for (String id : options.declaredNotApplicable().keySet()) {
            if (checks.stream().noneMatch(c -> c.id().equals(id))) {
                throw new IllegalArgumentException("--na names unknown check '" + id + "'");
            }
        }
    }

    public Report run() {
        return run(result -> { });
    }

    /** Runs the checks, handing each result to {@code progress} as it completes. */
    public Report run(Consumer<CheckResult> progress) {
        Instant started = Instant.now();
        HttpProbe probe = new HttpProbe(options.baseUrl(), options.apiKey(), options.timeout());
        Optional<java.nio.file.Path> openapi = OpenApiSchemas.locate(options.openapi());
        OpenApiSchemas[] loaded = new OpenApiSchemas[1];
        CheckContext context = new CheckContext(options, probe, () -> {
            if (openapi.isEmpty()) {
                return Optional.empty();
            }
            if (loaded[0] == null) {
                loaded[0] = OpenApiSchemas.load(openapi.get());
            }
            return Optional.of(loaded[0]);
        });
        List<CheckResult> results = new ArrayList<>();
        for (Check check : checks) {
            if (!options.selected(check)) {
                continue;
            }
            CheckResult result = runOne(check, context);
            results.add(result);
            progress.accept(result);
        }
        return new Report(options.baseUrl().toString(), options.model(), started,
                Duration.between(started, Instant.now()), openapi.map(Object::toString).orElse(null),
                probe.exchanges().size(), results);
    }

    private CheckResult runOne(Check check, CheckContext context) {
        String declared = options.declaredNotApplicable().get(check.id());
        if (declared != null) {
            return new CheckResult(check.id(), check.suite(), check.title(), Status.NOT_APPLICABLE,
                    "declared not applicable: " + declared, List.of(), List.of());
        }
        Findings findings = new Findings();
        try {
            check.body().run(context, findings);
        } catch (NotApplicable e) {
            if (!findings.failed()) {
                return new CheckResult(check.id(), check.suite(), check.title(), Status.NOT_APPLICABLE, e.getMessage(),
                        findings.observations(), findings.evidence());
            }
        } catch (RuntimeException e) {
            findings.fail("the check could not analyse the responses: " + e, null);
        }
        if (findings.failed()) {
            return new CheckResult(check.id(), check.suite(), check.title(), Status.FAIL,
                    String.join("; ", findings.failures()), findings.failures(), findings.evidence());
        }
        List<String> observations = findings.observations();
        return new CheckResult(check.id(), check.suite(), check.title(), Status.PASS,
                observations.isEmpty() ? "verified" : String.join("; ", observations.stream().limit(3).toList())
                        + (observations.size() > 3 ? "; ..." : ""),
                observations, findings.evidence());
    }
}
