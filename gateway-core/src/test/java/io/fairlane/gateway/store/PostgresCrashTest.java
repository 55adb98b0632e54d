package io.fairlane.gateway.store;

import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link CrashContract} on PostgreSQL: the killed gateway's blobs are chunk rows. */
@ExtendWith(PostgresServer.class)
class PostgresCrashTest extends CrashContract {

    private static PostgresServer.Running server;

    @BeforeAll
    static void server(PostgresServer.Running running) {
        server = running;
    }

    @Override
    StoreBackend backend() {
        return new StoreBackend.Postgres(server);
    }

    @Override
    List<String> childArguments(StoreSettings settings) {
        StoreSettings.Postgres postgres = (StoreSettings.Postgres) settings;
        return List.of("postgres", postgres.url(), postgres.user());
    }
}
