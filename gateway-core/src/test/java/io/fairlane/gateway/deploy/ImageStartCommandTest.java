package io.fairlane.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.io.TempDir;

/**
 * The CPU image's start command ({@code ENTRYPOINT} + {@code CMD} of docker/Dockerfile.cpu, read from the
 * file) run directly, without Docker, on the compose stack's config: it starts, the image's HEALTHCHECK
 * script reports it healthy, it listens on every interface, serves a tenant, and drains and exits 0 on
 * SIGTERM, as {@code docker stop} sends.
 *
 * <p>What differs from the image: {@code java} is this JDK's; the image's {@code /opt/fairlane/lib/*} is this
 * module's classes and runtime class path (the same classes the image's jars hold; test classes left out);
 * the config is docker/config/fairlane.yaml with a free port and a cache folder under target/.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ImageStartCommandTest {

    private static final Path ROOT = ProjectFiles.root();
    private static Process gateway;
    private static Path log;
    private static int port;

    @BeforeAll
    static void start(@TempDir Path dir) throws Exception {
        port = freePort();
        Path config = dir.resolve("fairlane.yaml");
        Path cache = ROOT.resolve("gateway-core/target/image-start-cache");
        String compose = Files.readString(ROOT.resolve("docker/config/fairlane.yaml"));
        assertThat(compose).contains("port: 8080", "/var/lib/fairlane/cache");
        Files.writeString(config, compose.replace("port: 8080", "port: " + port)
                .replace("/var/lib/fairlane/cache", cache.toString()));

        List<String> command = new ArrayList<>();
        for (String part : concat(DockerfileTest.execForm("Dockerfile.cpu", "ENTRYPOINT"),
                DockerfileTest.execForm("Dockerfile.cpu", "CMD"))) {
            command.add(switch (part) {
                case "java" -> Path.of(System.getProperty("java.home"), "bin", "java").toString();
                case "/opt/fairlane/lib/*" -> runtimeClassPath();
                case "/etc/fairlane/fairlane.yaml" -> config.toString();
                default -> part;
            });
        }
        log = dir.resolve("gateway.log");
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
        pb.environment().put("FAIRLANE_PORT", Integer.toString(port));
        pb.environment().remove("FAIRLANE_CONFIG");
        gateway = pb.start();
        long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
        while (healthcheck() != 0) {
            if (!gateway.isAlive() || System.nanoTime() > deadline) {
                throw new AssertionError("the image's start command did not become healthy ("
                        + (gateway.isAlive() ? "still running" : "exited " + gateway.exitValue()) + "): "
                        + String.join(" ", command) + "\n" + logTail());
            }
            Thread.sleep(250);
        }
    }

    @AfterAll
    static void stop() throws InterruptedException {
        if (gateway != null && gateway.isAlive()) {
            gateway.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    private static List<String> concat(List<String> a, List<String> b) {
        List<String> all = new ArrayList<>(a);
        all.addAll(b);
        return all;
    }

    /** This JVM's class path without test classes: the module's classes and its dependencies. */
    private static String runtimeClassPath() {
        return Arrays.stream(System.getProperty("java.class.path").split(File.pathSeparator))
                .filter(entry -> !entry.endsWith("test-classes"))
                .collect(Collectors.joining(File.pathSeparator));
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }

    /** docker/healthcheck.sh as the image's HEALTHCHECK runs it (port from FAIRLANE_PORT). */
    private static int healthcheck() throws Exception {
        ProcessBuilder pb = new ProcessBuilder("bash", ProjectFiles.docker().resolve("healthcheck.sh").toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD);
        pb.environment().put("FAIRLANE_PORT", Integer.toString(port));
        Process p = pb.start();
        if (!p.waitFor(10, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            return -1;
        }
        return p.exitValue();
    }

    private static String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Test
    @Order(1)
    void startCommand_listensOnEveryInterface() throws IOException {
        assertThat(Files.readString(log)).contains("listening on 0.0.0.0:" + port);
    }

    @Test
    @Order(2)
    void startCommand_servesAComposeTenant() throws Exception {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + port + "/v1/completions"))
                .header("Authorization", "Bearer sk-fairlane-team-a").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"fairlane-tiny\",\"max_tokens\":2,"
                        + "\"prompt\":\"hi\"}"))
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }

    @Test
    @Order(3)
    void sigterm_drainsAndExitsZero() throws Exception {
        gateway.destroy(); // SIGTERM, what docker stop sends (STOPSIGNAL SIGTERM)
        assertThat(gateway.waitFor(30, TimeUnit.SECONDS) ? gateway.exitValue() : -1).as(logTail()).isZero();
    }
}
