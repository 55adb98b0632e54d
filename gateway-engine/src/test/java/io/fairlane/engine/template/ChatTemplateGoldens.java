package io.fairlane.engine.template;

import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Assumptions;

/**
 * The chat-template goldens that {@code src/test/scripts/chat_template_goldens.py} renders with Python's
 * jinja2 into {@code target/goldens/chat-templates} during the build. Missing goldens skip the test with
 * the generator's reason, except on CI, where they fail it.
 */
final class ChatTemplateGoldens {

    /** The instant the golden generator's {@code strftime_now} uses. */
    static final Clock FIXED_CLOCK = Clock.fixed(LocalDateTime.of(2024, 7, 26, 14, 5, 9).toInstant(ZoneOffset.UTC),
            ZoneOffset.UTC);

    static final ObjectMapper JSON = new ObjectMapper();

    private ChatTemplateGoldens() {
    }

    static Path dir() {
        String configured = System.getProperty("fairlane.goldens.dir");
        Path root = (configured != null ? Path.of(configured) : Path.of("target", "goldens")).toAbsolutePath();
        return root.resolve("chat-templates");
    }

    /** The golden file for a template, or the test is skipped (failed on CI) with the reason. */
    static JsonNode load(String name) throws IOException {
        Path file = dir().resolve(name + ".json");
        if (Files.isRegularFile(file)) {
            return JSON.readTree(file.toFile());
        }
        Path marker = dir().getParent().resolve("UNAVAILABLE");
        String reason = "chat-template goldens " + file + " missing: " + (Files.isRegularFile(marker)
                ? Files.readString(marker).strip() : "the golden generator did not run (generate-test-resources)");
        if ("true".equalsIgnoreCase(System.getenv("CI"))) {
            fail(reason + " (on CI the golden tests must run)");
        }
        Assumptions.abort(reason);
        return null;
    }
}
