package io.fairlane.gateway.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs Prometheus' {@code promtool} (Debian package {@code prometheus}, installed by
 * scripts/prereq.d/10-prometheus.sh) and reports its exit status with everything it printed.
 */
final class Promtool {

    /** The result of one run: exit status and the combined stdout and stderr. */
    record Result(int exitCode, String output) {
    }

    private Promtool() {
    }

    /**
     * {@code name} from the Debian package {@code prometheus} ({@code $envOverride} or {@code PATH}), or the
     * calling test stops: skipped with the reason on a developer's machine, failed where {@code CI=true},
     * because CI runs scripts/prereq.d/10-prometheus.sh first and a missing binary there is a broken setup,
     * not a reason to pass without testing.
     */
    static Path require(String name, String envOverride, String whatNeedsIt) {
        return require(name, envOverride, whatNeedsIt, System.getenv());
    }

    /** {@link #require(String, String, String)} reading {@code environment} instead of the process's. */
    static Path require(String name, String envOverride, String whatNeedsIt, Map<String, String> environment) {
        Optional<Path> found = findBinary(name, envOverride, environment);
        if (found.isPresent()) {
            return found.get();
        }
        String reason = name + " is not installed (neither $" + envOverride + " nor PATH has it), so " + whatNeedsIt
                + " cannot run: run scripts/test-prerequisites.sh (Debian package prometheus)";
        if ("true".equalsIgnoreCase(environment.get("CI"))) {
            Assertions.fail(reason + " (on CI these tests must run)");
        }
        Assumptions.abort(reason);
        return null;
    }

    /** An executable: {@code $envOverride} if set, else the first {@code name} on {@code PATH}. */
    static Optional<Path> findBinary(String name, String envOverride, Map<String, String> environment) {
        String override = environment.get(envOverride);
        if (override != null && !override.isBlank()) {
            return Optional.of(Path.of(override)).filter(Files::isExecutable);
        }
        String path = environment.getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            if (!dir.isEmpty() && Files.isExecutable(Path.of(dir).resolve(name))) {
                return Optional.of(Path.of(dir).resolve(name));
            }
        }
        return Optional.empty();
    }

    static Result run(Path binary, Path workingDirectory, List<String> arguments)
            throws IOException, InterruptedException {
        List<String> command = new ArrayList<>();
        command.add(binary.toString());
        command.addAll(arguments);
        Process process = new ProcessBuilder(command)
                .directory(workingDirectory.toFile())
                .redirectErrorStream(true)
                .start();
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("promtool " + arguments + " did not finish within 120 s");
        }
        return new Result(process.exitValue(), new String(output, StandardCharsets.UTF_8));
    }
}
