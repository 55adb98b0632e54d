package io.fairlane.gateway.store;

import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.sqlite.SQLiteErrorCode;
import org.sqlite.SQLiteException;

/**
 * One of the two databases the store runs on, as the contract tests see it: where a fresh store comes from and
 * what the database says when a transaction must be retried. Each contract test class has one subclass per
 * backend, so every test runs against both.
 */
public sealed interface StoreBackend permits StoreBackend.Embedded, StoreBackend.Postgres {

    /** Settings for a new, empty store. */
    StoreSettings newStore();

    /** The environment the store reads secrets from. */
    Map<String, String> environment();

    /** A failure this database reports for a busy database or a lost conflict. */
    SQLException conflict();

    /** Whether several processes (replicas) may open the same store at once. */
    boolean sharedByReplicas();

    default Database open(StoreSettings settings) {
        return Database.open(settings, environment());
    }

    /** Embedded SQLite stores in folders below {@code scratch}. */
    record Embedded(Path scratch, AtomicInteger stores) implements StoreBackend {
        public Embedded(Path scratch) {
            this(scratch, new AtomicInteger());
        }

        @Override
        public StoreSettings newStore() {
            return new StoreSettings.Embedded(scratch.resolve("store-" + stores.incrementAndGet()));
        }

        @Override
        public Map<String, String> environment() {
            return Map.of();
        }

        @Override
        public SQLException conflict() {
            return new SQLiteException("[SQLITE_BUSY] The database file is locked (database is locked)",
                    SQLiteErrorCode.SQLITE_BUSY);
        }

        @Override
        public boolean sharedByReplicas() {
            return false;
        }
    }

    /** Fresh databases on the tests' PostgreSQL server. */
    record Postgres(PostgresServer.Running server) implements StoreBackend {
        @Override
        public StoreSettings newStore() {
            return server.newDatabase();
        }

        @Override
        public Map<String, String> environment() {
            return server.environment();
        }

        @Override
        public SQLException conflict() {
            return new SQLException("ERROR: could not serialize access due to concurrent update", "40001");
        }

        @Override
        public boolean sharedByReplicas() {
            return true;
        }
    }
}
