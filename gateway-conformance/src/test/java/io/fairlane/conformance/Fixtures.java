package io.fairlane.conformance;

import io.fairlane.conformance.schema.OpenApiSchemas;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Assumptions;

/**
 * The shared fixtures this module's tests read (OpenAI's OpenAPI document and the streams recorded from
 * api.openai.com), which live outside the repository in {@code shared/fixtures} beside the checkout.
 *
 * <p>Looked for at {@code $FAIRLANE_FIXTURES}, then {@code -Dfairlane.fixtures.dir} (the build sets it to
 * {@code ../shared/fixtures} beside the checkout), then {@code ../shared/fixtures} and
 * {@code ../../shared/fixtures} from the working directory. A test that needs a fixture and finds none stops
 * with a reason naming what is missing and every place looked: skipped on a developer's clone, failed where
 * {@code CI=true}, because CI provides the fixtures and losing them there must not pass unnoticed.
 *
 * <p>Parameterized tests over the recorded streams take {@link #sseCapturesOrMissing()}: never empty (JUnit
 * refuses a parameterized test without arguments), it holds {@link #MISSING} when the streams are absent, and
 * {@link #present} stops the test for that placeholder with the reason.
 */
public final class Fixtures {

    /** The one argument {@link #sseCapturesOrMissing()} offers when the recorded streams are absent. */
    public static final Path MISSING = Path.of("(recorded streams missing)");

    private static final String CAPTURES = "openai-sse-captures";

    private Fixtures() {
    }

    /** Where the fixtures are looked for, in order. */
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

    /** {@code name} under the first fixtures folder that has it, if any; never stops the caller. */
    public static Optional<Path> find(String name) {
        return candidates().stream().map(d -> d.resolve(name)).filter(Files::exists).findFirst();
    }

    /** {@code name} under the fixtures, or the calling test stops with the reason (failed on CI). */
    public static Path require(String name, String what) {
        Optional<Path> found = find(name);
        if (found.isEmpty()) {
            stop(missingReason(name, what, candidates()), System.getenv());
        }
        return found.orElseThrow();
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
    public static void stop(String reason, Map<String, String> environment) {
        if ("true".equalsIgnoreCase(environment.get("CI"))) {
            Assertions.fail(reason + " (CI=true: on CI the fixtures must be present)");
        }
        Assumptions.abort(reason);
    }

    /** The recorded streams' folder, or the calling test stops with the reason. */
    public static Path sseCapturesDir() {
        return require(CAPTURES, "the streams recorded from api.openai.com");
    }

    /** The recorded streams' folder when present, without stopping the caller (the local lane needs none). */
    public static Optional<Path> findSseCaptures() {
        return find(CAPTURES).filter(Files::isDirectory);
    }

    /** Why the recorded streams are missing: what {@link #sseCapturesDir()} would stop with. */
    public static String sseCapturesMissingReason() {
        return missingReason(CAPTURES, "the streams recorded from api.openai.com", candidates());
    }

    /** The recorded OpenAI streams, sorted by name, or the calling test stops with the reason. */
    public static List<Path> sseCaptures() {
        try (Stream<Path> files = Files.list(sseCapturesDir())) {
            return files.filter(p -> p.getFileName().toString().endsWith(".sse")).sorted().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** For a {@code @MethodSource}: the recorded streams, or the single {@link #MISSING} placeholder. */
    public static List<Path> sseCapturesOrMissing() {
        return findSseCaptures().isPresent() ? sseCaptures() : List.of(MISSING);
    }

    /** {@code capture} itself, or, for {@link #MISSING}, the calling test stops with the reason. */
    public static Path present(Path capture) {
        if (capture.equals(MISSING)) {
            sseCapturesDir();
        }
        return capture;
    }

    /** OpenAI's OpenAPI document, or the calling test stops with the reason. */
    public static Path openapi() {
        return require(OpenApiSchemas.FIXTURE_PATH, "OpenAI's OpenAPI document");
    }
}
