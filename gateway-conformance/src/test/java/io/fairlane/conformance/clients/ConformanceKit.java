package io.fairlane.conformance.clients;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.openai.errors.BadRequestException;
import dev.langchain4j.exception.InvalidRequestException;
import io.fairlane.conformance.check.CheckResult;
import io.fairlane.conformance.check.Harness;
import io.fairlane.conformance.check.HarnessOptions;
import io.fairlane.conformance.check.Status;
import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.report.ReportWriter;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.opentest4j.TestAbortedException;

/**
 * The conformance kit every lane runs (the way Micrometer's compatibility kit runs against every registry):
 * the whole harness, then the four real clients' scenarios, against one target. A lane extends it and
 * says how to start its target: the reference stub, Fairlane's local-engine lane, and Fairlane's upstream
 * lane proxying to {@code CaptureUpstreamServer}. Each lane's report is written to
 * {@code target/conformance/<lane>.md|json}.
 *
 * <p>A lane that cannot force tool calls says so ({@link Target#toolCallsRefused}): it must then refuse
 * {@code tool_choice: "required"} with a 400 naming {@code tool_choice}, the harness reports the tool checks
 * not applicable, and each client's tool scenarios must surface that refusal as a clean 400 instead of a
 * parse error or a made-up call.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
public abstract class ConformanceKit {

    private static final Set<String> TOOL_SCENARIOS = Set.of("tools", "toolsStream", "responsesTools",
            "responsesToolsStream");

    /**
     * Where a lane's server is and what to ask it for.
     *
     * @param toolCallsRefused why the lane refuses forced tool calls, or empty when it makes them
     */
    public record Target(String lane, URI baseUrl, String apiKey, String model, String embeddingModel,
            HarnessOptions options, Optional<String> toolCallsRefused) {
    }

    private Target target;
    private Report report;
    private String unavailable;

    /** Starts the lane's server (or finds the one it shares) and describes it. */
    protected abstract Target start() throws Exception;

    /** Stops what {@link #start()} started. */
    protected abstract void stop() throws Exception;

    /**
     * The harness's report on the lane. By default the harness runs now; a lane whose server and run are
     * shared with other test classes returns the shared run's report instead.
     */
    protected Report harnessReport(Target target) throws Exception {
        return runHarness(target);
    }

    /** Runs the whole harness against {@code target} and writes {@code target/conformance/<lane>.md|json}. */
    public static Report runHarness(Target target) {
        Report report = new Harness(target.options()).run();
        ReportWriter.write(report, Path.of("target", "conformance", target.lane()));
        return report;
    }

    /**
     * Starts the lane and runs the harness. A lane that cannot run here (its fixtures are absent) is not an
     * error: every test of the class is then skipped with the reason, rather than the class vanishing from the
     * report (where {@code CI=true} makes a missing fixture fail, the failure propagates from here instead).
     */
    @BeforeAll
    final void startAndRunHarness() throws Exception {
        try {
            target = start();
            report = harnessReport(target);
        } catch (TestAbortedException e) {
            unavailable = e.getMessage();
        }
    }

    @BeforeEach
    final void requireLane() {
        Assumptions.assumeTrue(unavailable == null, unavailable);
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
            if (target.toolCallsRefused().isPresent()) {
                assertThatThrownBy(client::tools).isInstanceOf(BadRequestException.class)
                        .satisfies(e -> assertThat(((BadRequestException) e).param())
                                .hasValue("tool_choice"));
                assertThatThrownBy(client::toolsStream).isInstanceOf(BadRequestException.class);
            } else {
                assertThat(client.tools().choices().getFirst().message().toolCalls()).isPresent();
                assertThat(client.toolsStream()).isNotEmpty();
            }
            assertThat(client.embeddings().data()).hasSize(2);
            assertThat(client.batch()).hasSize(2).anyMatch(l -> l.contains("\"java-1\""))
                    .anyMatch(l -> l.contains("\"java-2\""));
        }
    }

    @Test
    void openAiJava_responses_createStreamToolsAndContinue() throws Exception {
        try (OpenAiJavaScenarios client = new OpenAiJavaScenarios(target.baseUrl(), target.apiKey(), target.model(),
                target.embeddingModel())) {
            assertThat(OpenAiJavaScenarios.text(client.responses())).isNotEmpty();
            assertThat(OpenAiJavaScenarios.text(client.responsesStream())).isNotEmpty();
            assertThat(client.responsesContinued().previousResponseId()).isPresent();
            if (target.toolCallsRefused().isPresent()) {
                assertThatThrownBy(client::responsesTools).isInstanceOf(BadRequestException.class);
            } else {
                assertThat(OpenAiJavaScenarios.calls(client.responsesTools())).isNotEmpty()
                        .allSatisfy(c -> assertThat(c.name()).isEqualTo("get_weather"));
                assertThat(OpenAiJavaScenarios.calls(client.responsesToolsStream())).isNotEmpty()
                        .allSatisfy(c -> assertThat(c.callId()).isNotEmpty());
            }
        }
    }

    @Test
    void langChain4j_passesEveryScenario() throws Exception {
        LangChain4jScenarios client = new LangChain4jScenarios(target.baseUrl(), target.apiKey(), target.model(),
                target.embeddingModel());

        assertThat(client.chat().aiMessage().text()).isNotNull();
        assertThat(client.stream().aiMessage().text()).isNotNull();
        if (target.toolCallsRefused().isPresent()) {
            assertThatThrownBy(client::tools).isInstanceOf(InvalidRequestException.class)
                    .hasMessageContaining("tool_choice");
            assertThatThrownBy(client::toolsStream).isInstanceOf(InvalidRequestException.class);
        } else {
            assertThat(client.tools().aiMessage().toolExecutionRequests()).isNotEmpty();
            assertThat(client.toolsStream().aiMessage().toolExecutionRequests()).isNotEmpty();
        }
        assertThat(client.embeddings()).hasSize(2);
    }

    @Test
    void nodeClients_openAiAndVercelAiSdk_passEveryScenario() throws Exception {
        List<NodeClients.Result> results = NodeClients.run(target.baseUrl(), target.apiKey(), target.model(),
                target.embeddingModel(), target.toolCallsRefused().isPresent());

        assertThat(results).hasSize(26).allSatisfy(r -> assertThat(r.status())
                .as(r.client() + " " + r.scenario() + ": " + r.detail())
                .isIn(target.toolCallsRefused().isPresent() && TOOL_SCENARIOS.contains(r.scenario())
                        ? List.of("refused") : "embeddings".equals(r.scenario()) && r.client().endsWith("-responses")
                        ? List.of("n/a") : List.of("pass")));
    }
}
