package io.fairlane.gateway.shared;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * A real Redis server (Debian's {@code redis-server}, installed by scripts/prereq.d/50-postgresql.sh) on an ephemeral
 * loopback port, without persistence, for the shared-state tests. {@link #stop} and {@link #restart} (on the same
 * port) let a test take Redis away from the gateways and give it back. Without the binary a test is skipped with the
 * reason, except where {@code CI=true}, where it fails: CI installs the prerequisites first.
 */
public final class RedisServer implements AutoCloseable {

    private static final List<Path> CANDIDATES = List.of(Path.of("/usr/bin/redis-server"),
            Path.of("/usr/local/bin/redis-server"));

    private final Path binary;
    private final Path dir;
    private final int port;
    private Process process;

    private RedisServer(Path binary, Path dir, int port) {
        this.binary = binary;
        this.dir = dir;
        this.port = port;
    }

    /** Starts one, or skips (fails on CI) the calling test when Redis is not installed. */
    public static RedisServer start() throws IOException, InterruptedException {
        Path binary = CANDIDATES.stream().filter(Files::isExecutable).findFirst().orElse(null);
        if (binary == null) {
            String reason = "redis-server is not installed (scripts/prereq.d/50-postgresql.sh installs it)";
            if ("true".equalsIgnoreCase(System.getenv("CI"))) {
                Assertions.fail(reason + " (on CI these tests must run)");
            }
            Assumptions.abort(reason);
        }
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        RedisServer server = new RedisServer(binary, Files.createTempDirectory("fairlane-redis"), port);
        server.restart();
        return server;
    }

    public URI uri() {
        return URI.create("redis://127.0.0.1:" + port + "/0");
    }

    /** Starts the server again on its port (empty: nothing is persisted). */
    public void restart() throws IOException, InterruptedException {
        process = new ProcessBuilder(binary.toString(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no", "--dir", dir.toString(), "--protected-mode", "no")
                .redirectErrorStream(true).redirectOutput(dir.resolve("redis.log").toFile()).start();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket(InetAddress.getLoopbackAddress(), port)) {
                return;
            } catch (IOException e) {
                if (!process.isAlive()) {
                    throw new IOException("redis-server exited: " + Files.readString(dir.resolve("redis.log")));
                }
                Thread.sleep(20);
            }
        }
        throw new IOException("redis-server did not listen on port " + port + " within 10 s");
    }

    /** Kills the server, as a crash or a network partition would take it away. */
    public void stop() throws InterruptedException {
        if (process != null) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
            process = null;
        }
    }

    @Override
    public void close() throws Exception {
        stop();
        try (var files = Files.list(dir)) {
            for (Path p : files.toList()) {
                Files.deleteIfExists(p);
            }
        }
        Files.deleteIfExists(dir);
    }
}
