package io.fairlane.conformance.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.conformance.Fixtures;
import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.schema.OpenApiSchemas;
import io.fairlane.conformance.stub.Breakage;
import io.fairlane.conformance.stub.StubOpenAiServer;
import java.time.Duration;
import java.util.Arrays;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The harness against the stub: every check passes when the stub behaves, and each deliberate violation
 * fails exactly the checks it targets, so no check is one that cannot fail.
 */
class HarnessAgainstStubTest {

    static HarnessOptions options(StubOpenAiServer stub) {
        HarnessOptions.Builder options = HarnessOptions.builder(stub.baseUrl(), StubOpenAiServer.KEY,
                        StubOpenAiServer.CHAT_MODEL)
                .embeddingModel(StubOpenAiServer.EMBEDDING_MODEL)
                .rateLimitKey(StubOpenAiServer.RATE_LIMITED_KEY)
                .rateLimitAttempts(StubOpenAiServer.RATE_LIMIT + 3)
                .quotaKey(StubOpenAiServer.NO_QUOTA_KEY)
                .midStreamErrorModel(StubOpenAiServer.MID_STREAM_ERROR_MODEL)
                .oversizedBodyBytes(StubOpenAiServer.MAX_BODY_BYTES * 2L)
                .timeout(Duration.ofSeconds(20));
        Fixtures.find(OpenApiSchemas.FIXTURE_PATH).ifPresent(options::openapi);
        return options.build();
    }

    static boolean schemasPresent() {
        return Fixtures.find(OpenApiSchemas.FIXTURE_PATH).isPresent();
    }

    static Set<String> ids(Report report, Status status) {
        return report.results().stream().filter(r -> r.status() == status).map(CheckResult::id)
                .collect(Collectors.toCollection(TreeSet::new));
    }

    static String failures(Report report) {
        return report.results().stream().filter(r -> r.status() == Status.FAIL)
                .map(r -> r.id() + ": " + r.reason()).collect(Collectors.joining("\n"));
    }

    @Test
    void run_wellBehavedStub_failsNoCheck() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start()) {
            Report report = new Harness(options(stub)).run();
            System.out.println("full run against the stub: " + report.requests() + " requests, "
                    + report.elapsed().toMillis() + " ms");

            assertThat(ids(report, Status.FAIL)).as(failures(report)).isEmpty();
        }
    }

    @Test
    void run_wellBehavedStubWithEveryProvocation_leavesOnlySchemaChecksNotApplicableWithoutTheDocument()
            throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start()) {
            Report report = new Harness(options(stub)).run();

            Set<String> notApplicable = ids(report, Status.NOT_APPLICABLE);
            if (schemasPresent()) {
                assertThat(notApplicable).isEmpty();
            } else {
                assertThat(notApplicable).allMatch(id -> id.startsWith("schema."));
            }
        }
    }

    @Test
    void run_stubRefusingForcedToolCallsWithA400_reportsEveryToolCheckNotApplicable() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.startRefusingForcedToolCalls()) {
            Report report = new Harness(HarnessOptions.builder(stub.baseUrl(), StubOpenAiServer.KEY,
                    StubOpenAiServer.CHAT_MODEL).suite(Suite.TOOLS).timeout(Duration.ofSeconds(20)).build()).run();

            assertThat(report.results()).allSatisfy(r -> assertThat(r.status()).as(r.id() + ": " + r.reason())
                    .isEqualTo(Status.NOT_APPLICABLE));
        }
    }

    @ParameterizedTest
    @EnumSource(Breakage.class)
    void run_stubWithOneViolation_failsExactlyTheTargetedChecks(Breakage breakage) throws Exception {
        boolean needsSchemas = breakage.expectedFailures().stream().anyMatch(id -> id.startsWith("schema."));
        if (needsSchemas) {
            Fixtures.openapi(); // without it schema checks are not applicable, so their breakages cannot show
        }
        try (StubOpenAiServer stub = StubOpenAiServer.start(breakage)) {
            Report report = new Harness(options(stub)).run();

            assertThat(ids(report, Status.FAIL)).as(failures(report))
                    .isEqualTo(new TreeSet<>(breakage.expectedFailures()));
        }
    }

    @Test
    void catalogue_everyCheck_isFailedBySomeViolationOfTheStub() {
        Set<String> covered = Arrays.stream(Breakage.values()).flatMap(b -> b.expectedFailures().stream())
                .collect(Collectors.toSet());

        assertThat(Catalogue.all().stream().map(Check::id)).allMatch(covered::contains);
    }
}
