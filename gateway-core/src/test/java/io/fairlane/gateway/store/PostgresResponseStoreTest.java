package io.fairlane.gateway.store;

import io.fairlane.gateway.config.ResponsesConfig;
import io.fairlane.gateway.responses.DatabaseResponseStore;
import io.fairlane.gateway.responses.ResponseStore;
import io.fairlane.gateway.responses.ResponseStoreContract;
import java.util.ArrayList;
import java.util.List;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.extension.ExtendWith;

/** The response store's contract on a real PostgreSQL server (where the tests' server lives, in this package). */
@ExtendWith(PostgresServer.class)
class PostgresResponseStoreTest extends ResponseStoreContract {

    private final List<Database> databases = new ArrayList<>();

    @Override
    protected ResponseStore create(ResponsesConfig config, LongSupplier clock) {
        Database db = Database.open(PostgresServer.current().newDatabase(), PostgresServer.current().environment());
        databases.add(db);
        return new DatabaseResponseStore(db, config, clock);
    }

    @AfterEach
    void closeDatabases() {
        databases.forEach(Database::close);
    }
}
