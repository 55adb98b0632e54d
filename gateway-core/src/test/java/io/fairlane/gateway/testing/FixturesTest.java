package io.fairlane.gateway.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** How a missing fixture stops a test: the reason names what and where, and CI turns the skip into a failure. */
class FixturesTest {

    @Test
    void candidates_environmentAndProperty_lookThereFirst() {
        List<Path> c = Fixtures.candidates(Map.of("FAIRLANE_FIXTURES", "/env/fixtures"), "/prop/fixtures");

        assertThat(c).startsWith(Path.of("/env/fixtures"), Path.of("/prop/fixtures"))
                .contains(Path.of("..", "shared", "fixtures"));
    }

    @Test
    void missingReason_namesWhatAndEveryPlaceLooked() {
        String reason = Fixtures.missingReason("openai-sse-captures", "the recorded OpenAI streams",
                List.of(Path.of("/a"), Path.of("/b")));

        assertThat(reason).contains("the recorded OpenAI streams", "/a/openai-sse-captures", "/b/openai-sse-captures",
                "FAIRLANE_FIXTURES");
    }

    @Test
    void stop_offCi_skipsWithTheReason() {
        assertThatThrownBy(() -> Fixtures.stop("no streams at /x", Map.of()))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("no streams at /x");
    }

    @Test
    void stop_onCi_fails() {
        assertThatThrownBy(() -> Fixtures.stop("no streams at /x", Map.of("CI", "true")))
                .isInstanceOf(AssertionFailedError.class).hasMessageContaining("no streams at /x");
    }

    @Test
    void captureNamesOrMissing_neverEmpty() {
        assertThat(Fixtures.captureNamesOrMissing()).isNotEmpty();
    }
}
