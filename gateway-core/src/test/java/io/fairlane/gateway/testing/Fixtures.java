package io.fairlane.gateway.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The shared fixtures (OpenAI's recorded streams) that live outside the repository, in {@code shared/fixtures}
 * beside the checkout, and the project root.
 *
 * <p>The fixtures are looked for at {@code $FAIRLANE_FIXTURES}, then {@code -Dfairlane.fixtures.dir} (the build
 * sets it to {@code ../shared/fixtures} beside the checkout), then {@code ../shared/fixtures} and
 * {@code ../../shared/fixtures} from the working directory. A test that needs them and finds none stops with a
 * reason naming what is missing and every place looked: skipped on a developer's clone, failed where
 * {@code CI=true}, because CI provides them and losing them there must not pass unnoticed.
 *
 * <p>Parameterized tests over the recorded streams take {@link #captureNamesOrMissing()}: never empty (JUnit
 * refuses a parameterized test without arguments), it holds {@link #MISSING} when the streams are absent, and
 * {@link #capture} stops the test for that placeholder with the reason.
 */
public final class Fixtures {

    /** The one argument {@link #captureNamesOrMissing()} offers when the recorded streams are absent. */
    public static final String MISSING = "(recorded streams missing)";

    private static final String CAPTURES = "openai-sse-captures";

    private Fixtures() {
    }

    /** Where the fixtures are looked for, in order, for this process's environment and properties. */
    public static List<Path> candidates() {
        return candidates(System.getenv(), System.getProperty("fairlane.fixtures.dir"));
    }

    static List<Path> candidates(Map<String, String> environment, String property) {
        Set<Path> out = new LinkedHashSet<>();
        String env = environment.get("FAIRLANE_FIXTURES");
        if (env != null && !env.isBlank()) {
            out.add(Path.of(env));
        }
        if (property != null && !property.isBlank()) {
            out.add(Path.of(property));
        }
        out.add(Path.of("..", "shared", "fixtures"));
        out.add(Path.of("..", "..", "shared", "fixtures"));
        return List.copyOf(out);
    }

    /** The first candidate folder that exists, or the first candidate when none does. */
    public static Path dir() {
        List<Path> all = candidates();
        return all.stream().filter(Files::isDirectory).findFirst().orElse(all.getFirst());
    }

    /** The recorded OpenAI streams' folder, or the calling test stops (skipped; failed on CI). */
    public static Path sseCaptures() {
        return require(CAPTURES, "the recorded OpenAI streams");
    }

    /** {@code name} under the fixtures folder, or the calling test stops with the reason (failed on CI). */
    public static Path require(String name, String what) {
        for (Path dir : candidates()) {
            Path p = dir.resolve(name);
            if (Files.exists(p)) {
                return p;
            }
        }
        stop(missingReason(name, what, candidates()), System.getenv());
        throw new AssertionError("unreachable");
    }

    static String missingReason(String name, String what, List<Path> looked) {
        Set<String> places = new LinkedHashSet<>();
        for (Path p : looked) {
            places.add(p.resolve(name).toAbsolutePath().normalize().toString());
        }
        return what + " (" + name + " in the shared fixtures) not found; looked at " + String.join(", ", places)
                + ". Put the fixtures in shared/fixtures beside the checkout, or point FAIRLANE_FIXTURES (or "
                + "-Dfairlane.fixtures.dir) at them";
    }

    /** Skips the calling test with {@code reason}, or fails it where {@code CI=true}. */
    static void stop(String reason, Map<String, String> environment) {
        if ("true".equalsIgnoreCase(environment.get("CI"))) {
            Assertions.fail(reason + " (CI=true: on CI the fixtures must be present)");
        }
        Assumptions.abort(reason);
    }

    /** Whether the recorded streams are present, for code that uses them only where they are. */
    public static boolean hasCaptures() {
        return candidates().stream().anyMatch(d -> Files.isDirectory(d.resolve(CAPTURES)));
    }

    /** The names ({@code chat-stream-01}) of every recorded stream; none when the folder is absent. */
    public static List<String> captureNames() {
        if (!hasCaptures()) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(sseCaptures())) {
            return files.map(f -> f.getFileName().toString()).filter(n -> n.endsWith(".sse"))
                    .map(n -> n.substring(0, n.length() - 4)).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** For a {@code @MethodSource}: the recorded streams' names, or the single {@link #MISSING} placeholder. */
    public static List<String> captureNamesOrMissing() {
        List<String> names = captureNames();
        return names.isEmpty() ? List.of(MISSING) : names;
    }

    /**
     * The recorded stream {@code name}; for {@link #MISSING}, or a name whose file is absent, the calling test
     * stops with the reason.
     */
    public static String capture(String name) {
        try {
            return Files.readString(requireCapture(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The file of the recorded stream {@code name}, or the calling test stops with the reason. */
    public static Path requireCapture(String name) {
        Path file = sseCaptures().resolve(name + ".sse"); // stops here when the streams are absent
        if (!Files.isRegularFile(file)) {
            stop("the recorded OpenAI stream " + name + " is not at " + file.toAbsolutePath().normalize(),
                    System.getenv());
        }
        return file;
    }

    public static Path projectRoot() {
        String prop = System.getProperty("fairlane.project.root");
        return prop != null ? Path.of(prop) : Path.of("..");
    }
}
