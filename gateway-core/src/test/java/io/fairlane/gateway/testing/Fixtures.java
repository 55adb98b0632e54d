package io.fairlane.gateway.testing;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;

/** The shared fixtures folder ({@code ../shared/fixtures}); tests skip with a stated reason without it. */
public final class Fixtures {

    private Fixtures() {
    }

    public static Path dir() {
        String prop = System.getProperty("fairlane.fixtures.dir");
        Path p = prop != null ? Path.of(prop) : Path.of("..", "shared", "fixtures");
        if (!Files.isDirectory(p)) {
            p = Path.of("..", "..", "shared", "fixtures");
        }
        return p;
    }

    public static Path sseCaptures() {
        Path p = dir().resolve("openai-sse-captures");
        Assumptions.assumeTrue(Files.isDirectory(p),
                "skipped: the recorded OpenAI streams are not at " + p.toAbsolutePath() + " (../shared/fixtures)");
        return p;
    }

    /** The names ({@code chat-stream-01}) of every recorded stream, or none when the folder is absent. */
    public static List<String> captureNames() {
        Path p = dir().resolve("openai-sse-captures");
        if (!Files.isDirectory(p)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(p)) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".sse"))
                    .map(n -> n.substring(0, n.length() - 4)).sorted().toList();
        } catch (IOException e) {
            return List.of();
        }
    }

    public static String capture(String name) {
        try {
            return Files.readString(sseCaptures().resolve(name + ".sse"));
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public static Path projectRoot() {
        String prop = System.getProperty("fairlane.project.root");
        return prop != null ? Path.of(prop) : Path.of("..");
    }
}
