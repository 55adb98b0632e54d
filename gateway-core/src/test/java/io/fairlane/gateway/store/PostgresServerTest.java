package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.opentest4j.AssertionFailedError;
import org.opentest4j.TestAbortedException;

/** Without PostgreSQL the server tests skip, saying why; on CI they fail instead of passing untested. */
class PostgresServerTest {

    @TempDir
    Path empty;

    @Test
    void requireBinaries_missingOnADevelopersMachine_skipsNamingTheInstallScript() {
        Map<String, String> environment = Map.of("FAIRLANE_POSTGRES_BIN", empty.toString(), "PATH", "");

        assertThatThrownBy(() -> PostgresServer.requireBinaries(environment))
                .isInstanceOf(TestAbortedException.class)
                .hasMessageContaining("scripts/test-prerequisites.sh");
    }

    @Test
    void requireBinaries_missingOnCi_fails() {
        Map<String, String> environment = Map.of("FAIRLANE_POSTGRES_BIN", empty.toString(), "PATH", "", "CI", "true");

        assertThatThrownBy(() -> PostgresServer.requireBinaries(environment))
                .isInstanceOf(AssertionFailedError.class)
                .hasMessageContaining("on CI these tests must run");
    }
}
