package io.fairlane.conformance;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.conformance.stub.Breakage;
import io.fairlane.conformance.stub.StubOpenAiServer;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MainTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String[] args(StubOpenAiServer stub, String... more) {
        String[] base = {"--base-url", stub.baseUrl().toString(), "--api-key", StubOpenAiServer.KEY, "--model",
                StubOpenAiServer.CHAT_MODEL, "--suite", "streaming,chat"};
        String[] all = new String[base.length + more.length];
        System.arraycopy(base, 0, all, 0, base.length);
        System.arraycopy(more, 0, all, base.length, more.length);
        return all;
    }

    @Test
    void run_wellBehavedServer_exitsZero() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start()) {
            assertThat(run(args(stub))).as(out.toString()).isZero();
        }
    }

    @Test
    void run_serverFailingACheck_exitsOne() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start(Breakage.SSE_NO_DONE)) {
            assertThat(run(args(stub))).isOne();
        }
    }

    @Test
    void run_withReport_writesMarkdownAndJson() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start()) {
            run(args(stub, "--report", dir.resolve("report").toString()));

            assertThat(dir.resolve("report.md")).content().contains("| `sse.done` |");
            assertThat(dir.resolve("report.json")).content().contains("\"id\" : \"sse.done\"");
        }
    }

    @Test
    void run_declaredNotApplicable_isReportedWithTheReason() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start(Breakage.SEED_IGNORED)) {
            int status = run(args(stub, "--na", "chat.seed=sampling is not reproducible here"));

            assertThat(status).isZero();
            assertThat(out.toString()).contains("sampling is not reproducible here");
        }
    }

    @Test
    void run_missingModel_exitsTwoWithUsage() {
        assertThat(run("--base-url", "http://127.0.0.1:9/v1")).isEqualTo(2);
        assertThat(err.toString()).contains("--model");
    }

    @Test
    void run_unknownCheck_exitsTwo() {
        assertThat(run("--base-url", "http://127.0.0.1:9/v1", "--model", "m", "--check", "no.such")).isEqualTo(2);
    }

    @Test
    void list_printsEveryCheck() {
        run("list");

        assertThat(out.toString()).contains("tools.parallel-indexes").contains("schema.error");
    }

    @Test
    void replay_captureWithoutDifferences_exitsZero() throws Exception {
        try (StubOpenAiServer stub = StubOpenAiServer.start()) {
            Path capture = dir.resolve("c.jsonl");
            Files.writeString(capture, "{\"v\":1,\"request\":{\"method\":\"GET\",\"path\":\"/v1/models\"},"
                    + "\"response\":{\"status\":200,\"body\":{\"object\":\"list\",\"data\":["
                    + "{\"id\":\"stub-chat\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"fairlane-stub\"},"
                    + "{\"id\":\"stub-embed\",\"object\":\"model\",\"created\":1700000000,\"owned_by\":\"fairlane-stub\"}"
                    + "]}}}\n");

            int status = run("replay", "--capture", capture.toString(), "--target", stub.baseUrl().toString(),
                    "--api-key", StubOpenAiServer.KEY);

            assertThat(status).as(out.toString()).isZero();
        }
    }
}
