package io.fairlane.gateway.store;

import java.util.List;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@link CrashContract} on PostgreSQL: the killed gateway's blobs are chunk rows. */
@ExtendWith(PostgresServer.class)
class PostgresCrashTest extends CrashContract {

    @Override
    StoreBackend backend() {
        return new StoreBackend.Postgres(PostgresServer.current());
    }

    @Override
    List<String> childArguments(StoreSettings settings) {
        StoreSettings.Postgres postgres = (StoreSettings.Postgres) settings;
        return List.of("postgres", postgres.url(), postgres.user());
    }
}
