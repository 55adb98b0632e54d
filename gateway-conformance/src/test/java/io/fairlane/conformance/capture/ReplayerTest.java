package io.fairlane.conformance.capture;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.stub.Breakage;
import io.fairlane.conformance.stub.StubOpenAiServer;
import io.fairlane.conformance.wire.HttpProbe;
import java.io.PrintStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Captures made against one stub replay cleanly against another, and a changed behaviour shows up as a difference. */
class ReplayerTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    @TempDir
    Path dir;

    /** Records a small session (plain, sampled, streamed, tools, embeddings, an error) against {@code stub}. */
    private Path capture(StubOpenAiServer stub) {
        HttpProbe probe = new HttpProbe(stub.baseUrl(), StubOpenAiServer.KEY, Duration.ofSeconds(10));
        ObjectNode plain = chat("Tell me about the sea.");
        plain.put("temperature", 0).put("seed", 1);
        probe.post("plain", "chat/completions", plain).send();
        probe.post("sampled", "chat/completions", chat("Name a boat.").put("temperature", 1.0)).send();
        ObjectNode streamed = plain.deepCopy().put("stream", true);
        streamed.putObject("stream_options").put("include_usage", true);
        probe.post("streamed", "chat/completions", streamed).send();
        ObjectNode tools = chat("Weather in Paris and Oslo?").put("stream", true);
        tools.putArray("tools").addObject().put("type", "function").putObject("function").put("name", "get_weather")
                .putObject("parameters").put("type", "object");
        probe.post("tools", "chat/completions", tools).send();
        ObjectNode embeddings = JSON.createObjectNode().put("model", StubOpenAiServer.EMBEDDING_MODEL);
        embeddings.putArray("input").add("a").add("b");
        probe.post("embeddings", "embeddings", embeddings).send();
        probe.get("models", "models").apiKey("sk-wrong").send();
        List<CaptureRecord> records = new ArrayList<>();
        probe.exchanges().forEach(e -> records.add(CaptureFormat.fromExchange(e)));
        Path file = dir.resolve("capture.jsonl");
        CaptureFormat.write(file, records);
        return file;
    }

    private static ObjectNode chat(String text) {
        ObjectNode body = JSON.createObjectNode().put("model", StubOpenAiServer.CHAT_MODEL).put("max_tokens", 12);
        body.putArray("messages").addObject().put("role", "user").put("content", text);
        return body;
    }

    private static ReplayReport replay(Path capture, StubOpenAiServer target) {
        return new Replayer(new ReplayOptions(capture, target.baseUrl(), StubOpenAiServer.KEY, Optional.empty(),
                Duration.ofSeconds(10))).run(QUIET);
    }

    @Test
    void replay_againstAnEquallyBehavedServer_findsNoDifference() throws Exception {
        try (StubOpenAiServer recorded = StubOpenAiServer.start(); StubOpenAiServer candidate = StubOpenAiServer.start()) {
            ReplayReport report = replay(capture(recorded), candidate);

            assertThat(report.differenceCount()).as(report.markdown()).isZero();
        }
    }

    @Test
    void replay_againstAServerWithAnotherFinishReason_reportsIt() throws Exception {
        try (StubOpenAiServer recorded = StubOpenAiServer.start();
                StubOpenAiServer candidate = StubOpenAiServer.start(Breakage.TOOL_FINISH_STOP)) {
            ReplayReport report = replay(capture(recorded), candidate);

            assertThat(report.records()).flatMap(ReplayReport.RecordOutcome::differences)
                    .extracting(Difference::path).contains("$stream.choices[0].finish_reason");
        }
    }

    @Test
    void replay_deterministicRequestWithOtherText_reportsTheContent() throws Exception {
        try (StubOpenAiServer recorded = StubOpenAiServer.start();
                StubOpenAiServer candidate = StubOpenAiServer.start(Breakage.STOP_IGNORED)) {
            Path file = dir.resolve("stop.jsonl");
            HttpProbe probe = new HttpProbe(recorded.baseUrl(), StubOpenAiServer.KEY, Duration.ofSeconds(10));
            ObjectNode body = chat("Count.").put("temperature", 0).put("seed", 3);
            body.putArray("stop").add("a");
            CaptureFormat.write(file, List.of(CaptureFormat.fromExchange(probe.post("stop", "chat/completions", body).send())));

            ReplayReport report = replay(file, candidate);

            assertThat(report.records().getFirst().differences()).extracting(Difference::path)
                    .contains("$.choices[0].message.content");
        }
    }

    @Test
    void replay_sampledRequestWithOtherText_doesNotCompareTheText() throws Exception {
        try (StubOpenAiServer recorded = StubOpenAiServer.start(); StubOpenAiServer candidate = StubOpenAiServer.start()) {
            ReplayReport report = replay(capture(recorded), candidate);

            assertThat(report.records().get(1).textCompared()).isFalse();
            assertThat(report.records().get(1).differences()).isEmpty();
        }
    }

    @Test
    void replay_capturedCredentials_areRedacted() throws Exception {
        try (StubOpenAiServer recorded = StubOpenAiServer.start()) {
            String text = java.nio.file.Files.readString(capture(recorded));

            assertThat(text).doesNotContain(StubOpenAiServer.KEY).doesNotContain("sk-wrong").contains("[redacted]");
        }
    }

    @Test
    void base_sdkBaseUrlAndV1Path_doNotDoubleV1() {
        assertThat(Replayer.base(java.net.URI.create("http://h:1/v1"), "/v1/models").resolve("v1/models"))
                .hasToString("http://h:1/v1/models");
    }
}
