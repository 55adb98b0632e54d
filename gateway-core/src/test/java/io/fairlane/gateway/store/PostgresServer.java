package io.fairlane.gateway.store;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit extension: a real PostgreSQL server (Debian's {@code postgresql}, installed by
 * scripts/prereq.d/50-postgresql.sh) for the store tests. Started once per test JVM by the first test that asks
 * for it — {@code initdb} into a scratch folder, {@code postgres} on an ephemeral loopback port with password
 * authentication — and stopped, its folder removed, when the JVM's tests are done. Each test asks the
 * {@link Running} server for a fresh, empty database.
 *
 * <p>PostgreSQL refuses to run as root; when the tests do, the server runs as the {@code postgres} OS user
 * (through {@code runuser}), which owns the scratch folder.
 *
 * <p>Without the binaries each test is skipped with the reason, except where {@code CI=true}: CI runs the
 * prerequisite script first, so there a missing server fails the build rather than passing untested.
 *
 * <p>The server runs with {@code fsync=off}: the crash tests kill the gateway's process, never the server, so
 * what the server keeps in memory is not at stake, and the tests run faster. Production keeps fsync on.
 */
public final class PostgresServer implements BeforeEachCallback, ParameterResolver {

    /** The environment variable name the tests' settings use for the password. */
    static final String PASSWORD_ENV = "FAIRLANE_TEST_PG_PASSWORD";
    private static final String SUPERUSER = "fairlane";
    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresServer.class);

    /** A started server. */
    public static final class Running implements AutoCloseable {
        private final Binaries binaries;
        private final Path scratch;
        private final int port;
        private final String password;
        private final String version;
        private final AtomicInteger databases = new AtomicInteger();

        private Running(Binaries binaries, Path scratch, int port, String password, String version) {
            this.binaries = binaries;
            this.scratch = scratch;
            this.port = port;
            this.password = password;
            this.version = version;
        }

        /** Creates an empty database and returns settings for it (password in {@link #environment()}). */
        public StoreSettings.Postgres newDatabase() {
            String name = "store_test_" + databases.incrementAndGet();
            try (Connection admin = connect("postgres"); Statement s = admin.createStatement()) {
                s.execute("CREATE DATABASE " + name);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot create database " + name + ": " + e.getMessage(), e);
            }
            return new StoreSettings.Postgres(url(name), SUPERUSER, Optional.of(PASSWORD_ENV), 4);
        }

        /** The environment that {@link Database#open(StoreSettings, Map)} reads the password from. */
        public Map<String, String> environment() {
            return Map.of(PASSWORD_ENV, password);
        }

        String password() {
            return password;
        }

        String version() {
            return version;
        }

        String url(String database) {
            return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
        }

        /** A plain JDBC connection as the superuser, for tests that look behind the store's back. */
        Connection connect(String database) throws SQLException {
            Properties login = new Properties();
            login.setProperty("user", SUPERUSER);
            login.setProperty("password", password);
            return DriverManager.getConnection(url(database), login);
        }

        String logTail() {
            try {
                List<String> lines = Files.readAllLines(scratch.resolve("postgres.log"));
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
            } catch (IOException e) {
                return "(no log: " + e.getMessage() + ")";
            }
        }

        /** Stops the server and removes its folder; JUnit calls it when the root store closes, after all tests. */
        @Override
        public void close() throws IOException {
            try {
                binaries.run(scratch, List.of(binaries.pgCtl().toString(), "-D", scratch.resolve("data").toString(),
                        "-m", "immediate", "-w", "stop"));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while stopping PostgreSQL in " + scratch, e);
            } finally {
                try (Stream<Path> files = Files.walk(scratch)) {
                    for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                        Files.deleteIfExists(p);
                    }
                }
            }
        }
    }

    /** Where the server's programs are, and whether they must run as another OS user. */
    record Binaries(Path initdb, Path pgCtl, Path postgres, boolean asPostgresUser) {

        /** Runs a server program (as the postgres user where needed) and fails with its output on a non-zero exit. */
        String run(Path scratch, List<String> command) throws IOException, InterruptedException {
            List<String> full = new ArrayList<>();
            if (asPostgresUser) {
                full.addAll(List.of("runuser", "-u", "postgres", "--"));
            }
            full.addAll(command);
            Path output = Files.createTempFile(scratch, "cmd", ".out");
            Process process = new ProcessBuilder(full).directory(scratch.toFile()).redirectErrorStream(true)
                    .redirectOutput(output.toFile()).start();
            process.getOutputStream().close();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IllegalStateException(String.join(" ", command) + " did not finish within 60 s");
            }
            String printed = Files.readString(output, StandardCharsets.UTF_8);
            Files.deleteIfExists(output);
            if (process.exitValue() != 0) {
                throw new IllegalStateException(String.join(" ", full) + " exited " + process.exitValue() + ":\n"
                        + printed);
            }
            return printed;
        }
    }

    /** The server, for the tests of a class extended with this; set before each of them runs. */
    private static volatile Running current;

    /**
     * The running server. Each test checks for it on its own (not once per class), so that without PostgreSQL
     * every test is reported skipped with the reason; a class-level skip would show as zero tests run.
     */
    @Override
    public void beforeEach(ExtensionContext context) {
        current = server(context);
    }

    /** The server started for the current test (see {@link #beforeEach}). */
    public static Running current() {
        if (current == null) {
            throw new IllegalStateException("the PostgresServer extension has not run for this test");
        }
        return current;
    }

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        return parameter.getParameter().getType() == Running.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        return server(context);
    }

    private static Running server(ExtensionContext context) {
        // The root store outlives every test class and closes what it holds when the test JVM's run ends.
        ExtensionContext.Store root = context.getRoot().getStore(NAMESPACE);
        Object started = root.getOrComputeIfAbsent("server", key -> {
            try {
                return start(requireBinaries(System.getenv()));
            } catch (IOException | InterruptedException e) {
                return new IllegalStateException("cannot start PostgreSQL: " + e.getMessage(), e);
            } catch (RuntimeException e) {
                return e; // remembered, so every class reports the same reason instead of trying again
            }
        });
        if (started instanceof org.opentest4j.TestAbortedException skipped) {
            throw skipped;
        }
        if (started instanceof RuntimeException failed) {
            throw failed;
        }
        return (Running) started;
    }

    /**
     * The server's binaries ({@code $FAIRLANE_POSTGRES_BIN}, else {@code PATH}, else the newest
     * {@code /usr/lib/postgresql/N/bin}), or the tests stop: skipped with the reason, failed where
     * {@code CI=true}.
     */
    static Binaries requireBinaries(Map<String, String> environment) {
        Optional<Path> bin = findBinDirectory(environment);
        boolean root = "root".equals(System.getProperty("user.name"));
        String reason = null;
        if (bin.isEmpty()) {
            reason = "PostgreSQL is not installed (neither $FAIRLANE_POSTGRES_BIN, PATH nor /usr/lib/postgresql/*/bin "
                    + "has initdb, pg_ctl and postgres), so the PostgreSQL store tests cannot run: run "
                    + "scripts/test-prerequisites.sh (Debian package postgresql)";
        } else if (root && findOnPath("runuser", environment).isEmpty()) {
            reason = "the tests run as root, which PostgreSQL refuses, and runuser is missing to run it as postgres";
        }
        if (reason != null) {
            if ("true".equalsIgnoreCase(environment.get("CI"))) {
                Assertions.fail(reason + " (on CI these tests must run)");
            }
            Assumptions.abort(reason);
        }
        Path dir = bin.get();
        return new Binaries(dir.resolve("initdb"), dir.resolve("pg_ctl"), dir.resolve("postgres"), root);
    }

    static Optional<Path> findBinDirectory(Map<String, String> environment) {
        List<Path> candidates = new ArrayList<>();
        String override = environment.get("FAIRLANE_POSTGRES_BIN");
        if (override != null && !override.isBlank()) {
            candidates.add(Path.of(override));
        } else {
            findOnPath("initdb", environment).map(p -> p.toRealPath().getParent()).ifPresent(candidates::add);
            Path debian = Path.of("/usr/lib/postgresql");
            if (Files.isDirectory(debian)) {
                try (Stream<Path> versions = Files.list(debian)) {
                    versions.filter(p -> p.getFileName().toString().matches("\\d+"))
                            .sorted(Comparator.comparingInt((Path p) -> Integer.parseInt(p.getFileName().toString()))
                                    .reversed())
                            .map(p -> p.resolve("bin")).forEach(candidates::add);
                } catch (IOException ignored) {
                    // no Debian layout to search
                }
            }
        }
        return candidates.stream().filter(d -> Stream.of("initdb", "pg_ctl", "postgres")
                .allMatch(name -> Files.isExecutable(d.resolve(name)))).findFirst();
    }

    private static Optional<PathOnPath> findOnPath(String name, Map<String, String> environment) {
        for (String dir : environment.getOrDefault("PATH", "").split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir).resolve(name))) {
                return Optional.of(new PathOnPath(Path.of(dir).resolve(name)));
            }
        }
        return Optional.empty();
    }

    /** A program found on PATH; resolving links finds the directory its siblings are in. */
    private record PathOnPath(Path path) {
        Path toRealPath() {
            try {
                return path.toRealPath();
            } catch (IOException e) {
                return path;
            }
        }
    }

    private static Running start(Binaries binaries) throws IOException, InterruptedException {
        Path scratch = Files.createTempDirectory("fairlane-pg-");
        String password = "pw-" + Long.toHexString(Double.doubleToLongBits(Math.random()));
        Files.writeString(scratch.resolve("password"), password + "\n");
        if (binaries.asPostgresUser()) {
            Process chown = new ProcessBuilder("chown", "-R", "postgres:postgres", scratch.toString()).inheritIO()
                    .start();
            if (chown.waitFor() != 0) {
                throw new IllegalStateException("cannot hand " + scratch + " to the postgres user");
            }
        }
        Path data = scratch.resolve("data");
        binaries.run(scratch, List.of(binaries.initdb().toString(), "-D", data.toString(), "-U", SUPERUSER,
                "--pwfile=" + scratch.resolve("password"), "--auth-host=scram-sha-256", "--auth-local=trust",
                "-E", "UTF8", "--locale=C", "--no-sync"));
        String version = binaries.run(scratch, List.of(binaries.postgres().toString(), "--version")).strip();
        IllegalStateException lastFailure = null;
        for (int attempt = 0; attempt < 3; attempt++) {
            int port = freePort();
            try {
                binaries.run(scratch, List.of(binaries.pgCtl().toString(), "-D", data.toString(),
                        "-l", scratch.resolve("postgres.log").toString(), "-w", "-t", "60",
                        "-o", "-p " + port + " -k " + scratch + " -c listen_addresses=127.0.0.1 -c fsync=off"
                                + " -c full_page_writes=off -c max_connections=200",
                        "start"));
                Running running = new Running(binaries, scratch, port, password, version);
                try (Connection ready = running.connect("postgres")) {
                    ready.isValid(5);
                } catch (SQLException e) {
                    running.close();
                    throw new IllegalStateException("PostgreSQL started but refuses connections: " + e.getMessage()
                            + "\n" + running.logTail(), e);
                }
                System.out.println("store tests: " + version + " on 127.0.0.1:" + port + " in " + scratch);
                return running;
            } catch (IllegalStateException e) {
                lastFailure = e; // most likely the port was taken between choosing and binding it
            }
        }
        throw lastFailure;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }
}
