package io.fairlane.conformance.clients;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.conformance.check.CheckResult;
import io.fairlane.conformance.check.Harness;
import io.fairlane.conformance.check.HarnessOptions;
import io.fairlane.conformance.check.Status;
import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.report.ReportWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The conformance kit every lane runs (the way Micrometer's compatibility kit runs against every registry):
 * the whole harness, then the four real clients' scenarios, against one target. A lane extends it and
 * says how to start its target: the reference stub today; Fairlane's local-engine lane and its upstream
 * lane (proxying to {@code CaptureUpstreamServer}) once the gateway lands. Each lane's report is written to
 * {@code target/conformance/<lane>.md|json}.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ConformanceKit {

    /** Where a lane's server is and what to ask it for. */
    protected record Target(String lane, URI baseUrl, String apiKey, String model, String embeddingModel,
            HarnessOptions options) {
    }

    private Target target;
    private Report report;

    /** Starts the lane's server and describes it. */
    protected abstract Target start() throws Exception;

    /** Stops what {@link #start()} started. */
    protected abstract void stop() throws Exception;

    @BeforeAll
    final void runHarness() throws Exception {
        target = start();
        report = new Harness(target.options()).run();
        ReportWriter.write(report, Path.of("target", "conformance", target.lane()));
    }

    @AfterAll
    final void stopTarget() throws Exception {
        stop();
    }

    @Test
    void harness_lane_failsNoCheck() {
        String failures = report.results().stream().filter(r -> r.status() == Status.FAIL)
                .map(r -> r.id() + ": " + r.reason()).collect(Collectors.joining("\n"));

        assertThat(report.results()).extracting(CheckResult::status).as(failures).doesNotContain(Status.FAIL);
    }

    @Test
    void openAiJava_strictValidation_passesEveryScenario() throws Exception {
        try (OpenAiJavaScenarios client = new OpenAiJavaScenarios(target.baseUrl(), target.apiKey(), target.model(),
                target.embeddingModel())) {
            assertThat(client.chat()).isNotNull();
            assertThat(client.stream().choices()).isNotEmpty();
            assertThat(client.tools().choices().getFirst().message().toolCalls()).isPresent();
            assertThat(client.toolsStream()).isNotEmpty();
            assertThat(client.embeddings().data()).hasSize(2);
        }
    }

    @Test
    void langChain4j_passesEveryScenario() throws Exception {
        LangChain4jScenarios client = new LangChain4jScenarios(target.baseUrl(), target.apiKey(), target.model(),
                target.embeddingModel());

        assertThat(client.chat().aiMessage().text()).isNotNull();
        assertThat(client.stream().aiMessage().text()).isNotNull();
        assertThat(client.tools().aiMessage().toolExecutionRequests()).isNotEmpty();
        assertThat(client.toolsStream().aiMessage().toolExecutionRequests()).isNotEmpty();
        assertThat(client.embeddings()).hasSize(2);
    }

    @Test
    void nodeClients_openAiAndVercelAiSdk_passEveryScenario() throws Exception {
        List<NodeClients.Result> results = NodeClients.run(target.baseUrl(), target.apiKey(), target.model(),
                target.embeddingModel());

        assertThat(results).hasSize(15).allSatisfy(r -> assertThat(r.status())
                .as(r.client() + " " + r.scenario() + ": " + r.detail()).isEqualTo("pass"));
    }
}
