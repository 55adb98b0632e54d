package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link DatabaseContract} on a real PostgreSQL server, and what only PostgreSQL settings do. */
@ExtendWith(PostgresServer.class)
class PostgresDatabaseTest extends DatabaseContract {

    @Override
    StoreBackend createBackend() {
        return new StoreBackend.Postgres(PostgresServer.current());
    }

    @Test
    void open_passwordVariableUnset_failsNamingTheVariable() {
        StoreSettings settings = PostgresServer.current().newDatabase();

        assertThatThrownBy(() -> Database.open(settings, Map.of()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("password_env")
                .hasMessageContaining(PostgresServer.PASSWORD_ENV);
    }

    @Test
    void open_wrongPassword_failsNamingTheServerButNotThePassword() {
        StoreSettings.Postgres settings = PostgresServer.current().newDatabase();

        assertThatThrownBy(() -> Database.open(settings, Map.of(PostgresServer.PASSWORD_ENV, "wrong-secret")))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(settings.url())
                .hasMessageNotContaining("wrong-secret");
    }

    @Test
    void open_noServerListening_failsNamingTheUrl() {
        StoreSettings.Postgres settings = new StoreSettings.Postgres("jdbc:postgresql://127.0.0.1:1/none", "nobody",
                Optional.empty(), 1);

        assertThatThrownBy(() -> Database.open(settings, Map.of()))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("jdbc:postgresql://127.0.0.1:1/none");
    }
}
