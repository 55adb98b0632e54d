package io.fairlane.conformance.check;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.conformance.Fixtures;
import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.report.ReportWriter;
import io.fairlane.conformance.schema.OpenApiSchemas;
import io.fairlane.conformance.stub.CaptureUpstreamServer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Optional;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The harness against OpenAI's own recorded streams, served by {@link CaptureUpstreamServer} (the upstream of
 * the conformance upstream lane). Every stream, tool and chat check the recordings can exercise passes;
 * the one they fail is the gap an OpenAI-compatible gateway has to close: the 2024 recordings carry no
 * {@code prompt_tokens_details.cached_tokens}.
 */
class HarnessAgainstOpenAiRecordingsTest {

    private static CaptureUpstreamServer upstream;
    private static Report report;

    /** Runs the harness once when the recordings are there; each test then says why it is skipped if not. */
    @BeforeAll
    static void run() throws Exception {
        Optional<Path> captures = Fixtures.findSseCaptures();
        if (captures.isEmpty()) {
            return;
        }
        upstream = CaptureUpstreamServer.start(captures.get());
        report = new Harness(recordingOptions(upstream)).run();
        System.out.println(ReportWriter.table(report));
    }

    @BeforeEach
    void requireRecordings() {
        Fixtures.sseCapturesDir();
    }

    /** Options for a run against the recordings: what fixed recordings cannot show is declared n/a. */
    static HarnessOptions recordingOptions(CaptureUpstreamServer upstream) {
        String fixed = "the upstream replays fixed recordings";
        HarnessOptions.Builder options = HarnessOptions.builder(upstream.baseUrl(), CaptureUpstreamServer.KEY,
                        CaptureUpstreamServer.MODEL)
                .suite(Suite.STREAMING).suite(Suite.USAGE).suite(Suite.TOOLS).suite(Suite.CHAT).suite(Suite.MODELS)
                .suite(Suite.SCHEMA)
                .notApplicable("chat.stop", fixed + " and cannot honour stop sequences")
                .notApplicable("chat.seed", fixed + "; the seed cannot change them")
                .notApplicable("chat.logprobs", "the logprobs recording was made without top_logprobs")
                .timeout(Duration.ofSeconds(20));
        Fixtures.find(OpenApiSchemas.FIXTURE_PATH).ifPresent(options::openapi);
        return options.build();
    }

    @AfterAll
    static void stop() {
        if (upstream != null) {
            upstream.close();
        }
    }

    private static Status status(String id) {
        return report.results().stream().filter(r -> r.id().equals(id)).findFirst().orElseThrow().status();
    }

    @Test
    void run_openAiRecordings_passEveryStreamToolAndCompletionCheck() {
        assertThat(report.results()).filteredOn(r -> r.suite() == Suite.STREAMING || r.suite() == Suite.TOOLS
                        || r.id().equals("chat.completion"))
                .allSatisfy(r -> assertThat(r.status()).as(r.id() + ": " + r.reason()).isEqualTo(Status.PASS));
    }

    @Test
    void run_openAiRecordings_passTheUsageChunkChecks() {
        assertThat(status("usage.stream-opt-in")).isEqualTo(Status.PASS);
        assertThat(status("usage.stream-default")).isEqualTo(Status.PASS);
    }

    @Test
    void run_openAiRecordingsFrom2024_lackCachedTokensThatAGatewayMustAdd() {
        assertThat(status("usage.integers")).isEqualTo(Status.FAIL);
    }

    @Test
    void run_openAiRecordings_matchTheOpenApiDocument() {
        assertThat(report.results()).filteredOn(r -> r.suite() == Suite.SCHEMA)
                .allSatisfy(r -> assertThat(r.status()).as(r.id() + ": " + r.reason()).isNotEqualTo(Status.FAIL));
    }
}
