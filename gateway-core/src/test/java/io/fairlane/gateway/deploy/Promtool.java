package io.fairlane.gateway.deploy;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

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

    /** The promtool binary: {@code $PROMTOOL} if set, else the first on {@code PATH}. */
    static Optional<Path> find() {
        return findBinary("promtool", "PROMTOOL");
    }

    /** An executable: {@code $envOverride} if set, else the first {@code name} on {@code PATH}. */
    static Optional<Path> findBinary(String name, String envOverride) {
        String override = System.getenv(envOverride);
        if (override != null && !override.isBlank()) {
            return Optional.of(Path.of(override)).filter(Files::isExecutable);
        }
        String path = System.getenv().getOrDefault("PATH", "");
        for (String dir : path.split(java.io.File.pathSeparator)) {
            Path candidate = Path.of(dir).resolve(name);
            if (!dir.isEmpty() && Files.isExecutable(candidate)) {
                return Optional.of(candidate);
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
