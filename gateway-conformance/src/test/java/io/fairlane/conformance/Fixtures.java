package io.fairlane.conformance;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The shared fixtures, found the way the project's tests find them, or the test is skipped with the reason. */
public final class Fixtures {

    private Fixtures() {
    }

    public static Path dir() {
        String property = System.getProperty("fairlane.fixtures.dir");
        Path dir = property != null && !property.isBlank() ? Path.of(property) : Path.of("..", "shared", "fixtures");
        Assumptions.assumeTrue(Files.isDirectory(dir), "shared fixtures not found at " + dir.toAbsolutePath()
                + " (set -Dfairlane.fixtures.dir)");
        return dir;
    }

    /** The recorded OpenAI streams, sorted by name. */
    public static List<Path> sseCaptures() {
        Path dir = dir().resolve("openai-sse-captures");
        Assumptions.assumeTrue(Files.isDirectory(dir), "no openai-sse-captures in " + dir.getParent());
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sse")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static Path openapi() {
        Path file = dir().resolve("openai-openapi/openapi.json");
        Assumptions.assumeTrue(Files.isRegularFile(file), "no OpenAPI document at " + file);
        return file;
    }
}
