package io.fairlane.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/**
 * How the Prometheus tests react to a missing {@code prometheus}/{@code promtool}: skipped with the reason on a
 * developer's machine, failed on CI, which installs them first (scripts/prereq.d/10-prometheus.sh).
 */
class PromtoolTest {

    @TempDir
    Path emptyDir;

    @Test
    void require_missingBinaryOnCi_failsTheTest() {
        assertThatThrownBy(() -> Promtool.require("prometheus", "PROMETHEUS", "the integration test",
                Map.of("PATH", emptyDir.toString(), "CI", "true")))
                .isInstanceOf(AssertionFailedError.class).hasMessageContaining("on CI these tests must run");
    }

    @Test
    void require_missingBinaryOffCi_skipsNamingThePrerequisiteScript() {
        assertThatThrownBy(() -> Promtool.require("prometheus", "PROMETHEUS", "the integration test",
                Map.of("PATH", emptyDir.toString())))
                .isInstanceOf(TestAbortedException.class).hasMessageContaining("scripts/test-prerequisites.sh");
    }

    @Test
    void require_binaryOnPath_isFoundEvenOnCi() {
        assertThat(Promtool.require("sh", "NO_SUCH_OVERRIDE", "this test", Map.of("PATH", "/bin", "CI", "true")))
                .isEqualTo(Path.of("/bin/sh"));
    }
}
