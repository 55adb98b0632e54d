package io.fairlane.conformance.lanes;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.Fixtures;
import io.fairlane.conformance.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * Record and replay end to end, on the shared lanes ({@link Lanes}): the tenant that opted in to capture
 * sends deterministic traffic (temperature 0 with a seed) to each lane, whose Fairlane records it to JSON
 * Lines; then {@code ./fairlane conformance replay} (its {@link Main}) sends each capture back to its lane with
 * another tenant's key and finds no difference, and finds the one injected into a copy of a capture. The lanes
 * also served the harness and the clients' scenarios under other tenants, none of which may be recorded.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class RecordAndReplayTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String DETERMINISTIC = "\"temperature\":0,\"seed\":7,\"max_tokens\":12";

    private final HttpClient http = HttpClient.newHttpClient();
    private Lanes.Lane local;
    private int localExchanges;

    @BeforeAll
    void record() throws Exception {
        local = Lanes.local();
        localExchanges = recordLocalTraffic(local.fairlane().baseUrl());
        flushCapture(local, localExchanges);
        if (Fixtures.findSseCaptures().isPresent()) {
            Lanes.Lane upstream = Lanes.upstream();
            recordUpstreamTraffic(upstream.fairlane().baseUrl());
            flushCapture(upstream, 3);
        }
    }

    /**
     * Flushes the lane's capture until it holds {@code lines} exchanges (or 5 s pass): an exchange is recorded
     * when it ends, just after its last byte went out, so the client can be a moment ahead of the recorder.
     */
    private static void flushCapture(Lanes.Lane lane, int lines) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        do {
            lane.fairlane().flushCapture();
            if (Files.exists(lane.captureFile()) && Files.readAllLines(lane.captureFile()).size() >= lines) {
                return;
            }
            Thread.sleep(10);
        } while (System.nanoTime() < deadline);
    }

    @AfterAll
    void closeClient() {
        http.close();
    }

    private int recordLocalTraffic(URI base) throws Exception {
        String model = Lanes.LOCAL_MODEL;
        post(base, "chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Name a colour.\"}]," + DETERMINISTIC + "}");
        post(base, "chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Name a river.\"}]," + DETERMINISTIC + ",\"stream\":true,\"stream_options\":{\"include_usage\":true}}");
        post(base, "completions", "{\"model\":\"" + model + "\",\"prompt\":\"Once upon a time\"," + DETERMINISTIC + "}");
        post(base, "embeddings", "{\"model\":\"" + model + "\",\"input\":[\"a lighthouse\",\"a harbour\"]}");
        post(base, "chat/completions", "{\"model\":\"no-such-model\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Hi\"}]}");
        send(HttpRequest.newBuilder(URI.create(base + "/models")).GET());
        return 6;
    }

    private void recordUpstreamTraffic(URI base) throws Exception {
        String model = Lanes.UPSTREAM_MODEL;
        post(base, "chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Hi\"}]," + DETERMINISTIC + ",\"stream\":true}");
        post(base, "chat/completions", "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Weather in Oslo?\"}]," + DETERMINISTIC + ",\"tool_choice\":\"required\","
                + "\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"get_weather\",\"parameters\":"
                + "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}}]}");
        post(base, "embeddings", "{\"model\":\"" + Lanes.UPSTREAM_EMBEDDING_MODEL + "\",\"input\":\"a harbour\"}");
    }

    private void post(URI base, String path, String body) throws Exception {
        send(HttpRequest.newBuilder(URI.create(base + "/" + path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)));
    }

    private void send(HttpRequest.Builder request) throws Exception {
        http.send(request.header("Authorization", "Bearer " + FairlaneUnderTest.RECORDED_KEY).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private record Run(int status, String output) {
    }

    /** {@code ./fairlane conformance replay} of {@code capture} against {@code lane}, as another tenant. */
    private static Run replay(Path capture, Lanes.Lane lane) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream print = new PrintStream(out, true, StandardCharsets.UTF_8);
        int status = Main.run(new String[] {"replay", "--capture", capture.toString(), "--target",
            lane.fairlane().baseUrl().toString(), "--api-key", FairlaneUnderTest.KEY, "--report",
            Lanes.CAPTURE_DIR.resolve(capture.getFileName() + "-report").toString()}, print, print);
        return new Run(status, out.toString(StandardCharsets.UTF_8));
    }

    @Test
    void capture_localLane_holdsExactlyTheOptedInTenantsExchanges() throws Exception {
        List<String> lines = Files.readAllLines(local.captureFile());

        assertThat(lines).hasSize(localExchanges).allSatisfy(line -> assertThat(JSON.readTree(line).path("tenant")
                .asText()).isEqualTo(FairlaneUnderTest.RECORDED_TENANT));
    }

    @Test
    void capture_neverHoldsTheApiKey() throws Exception {
        assertThat(Files.readString(local.captureFile())).doesNotContain(FairlaneUnderTest.RECORDED_KEY)
                .contains("[redacted]");
    }

    @Test
    void replay_localLaneCaptureAgainstTheLocalLane_reportsNoDifference() {
        Run run = replay(local.captureFile(), local);

        assertThat(run.status()).as(run.output()).isZero();
    }

    @Test
    void replay_upstreamLaneCaptureAgainstTheUpstreamLane_reportsNoDifference() throws Exception {
        Fixtures.sseCapturesDir(); // the upstream lane replays the recorded streams
        Lanes.Lane upstream = Lanes.upstream();
        assertThat(Files.readAllLines(upstream.captureFile())).as("upstream capture").hasSize(3);

        Run run = replay(upstream.captureFile(), upstream);

        assertThat(run.status()).as(run.output()).isZero();
    }

    @Test
    void replay_captureWithAnInjectedDifference_reportsItAndExitsOne() throws Exception {
        List<String> lines = new ArrayList<>(Files.readAllLines(local.captureFile()));
        ObjectNode first = (ObjectNode) JSON.readTree(lines.getFirst());
        ((ObjectNode) first.at("/response/body/choices/0/message")).put("content", "an injected difference");
        lines.set(0, JSON.writeValueAsString(first));
        Path tampered = Lanes.CAPTURE_DIR.resolve("tampered.jsonl");
        Files.write(tampered, lines);

        Run run = replay(tampered, local);

        assertThat(run.status()).isOne();
        assertThat(Files.readString(Lanes.CAPTURE_DIR.resolve("tampered.jsonl-report.md")))
                .contains("$.choices[0].message.content").contains("an injected difference");
    }
}
