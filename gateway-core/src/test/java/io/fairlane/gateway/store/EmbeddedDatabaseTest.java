package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link DatabaseContract} on the embedded SQLite store, and what only the embedded store does. */
class EmbeddedDatabaseTest extends DatabaseContract {

    @TempDir
    Path scratch;

    @Override
    StoreBackend createBackend() {
        return new StoreBackend.Embedded(scratch);
    }

    @Test
    void open_directoryAlreadyOpen_failsNamingTheLock() {
        StoreSettings settings = backend().newStore();
        open(settings);

        assertThatThrownBy(() -> open(settings))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("is in use by another Fairlane process")
                .hasMessageContaining("fairlane.lock");
    }

    @Test
    void open_missingDirectory_createsIt() {
        Path nested = scratch.resolve("a/b/c");

        open(new StoreSettings.Embedded(nested));

        assertThat(nested.resolve("fairlane.db")).exists();
    }

    @Test
    void open_afterClose_canOpenAgain() {
        StoreSettings settings = backend().newStore();
        open(settings).close();

        Database again = open(settings);

        assertThat(again.migratedVersion("none")).isZero();
    }

    @Test
    void open_fileIsNotADatabase_failsNamingTheDirectory() throws Exception {
        Path directory = scratch.resolve("garbage");
        Files.createDirectories(directory);
        Files.writeString(directory.resolve("fairlane.db"), "this is not a SQLite file, and long enough to tell"
                + " ".repeat(200));

        assertThatThrownBy(() -> open(new StoreSettings.Embedded(directory)))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining(directory.toString());
    }

    @Test
    void transaction_anotherProcessHoldsTheWriteLock_waitsAndCommits() throws Exception {
        // A second connection from outside the store (a backup tool, the sqlite3 shell) holds the write lock
        // longer than SQLite's busy timeout: the store's BEGIN IMMEDIATE fails with SQLITE_BUSY and is retried.
        StoreSettings.Embedded settings = (StoreSettings.Embedded) backend().newStore();
        Database db = open(settings);
        db.migrate("counter", java.util.List.of(Migration.sql(
                "CREATE TABLE counter_values (name VARCHAR(20) PRIMARY KEY, amount BIGINT NOT NULL)")));
        CountDownLatch locked = new CountDownLatch(1);
        ExecutorService outsider = Executors.newSingleThreadExecutor();
        try {
            Future<?> hold = outsider.submit(() -> {
                try (Connection other = DriverManager.getConnection(
                        "jdbc:sqlite:" + settings.directory().resolve("fairlane.db"));
                     Statement s = other.createStatement()) {
                    s.execute("BEGIN IMMEDIATE");
                    locked.countDown();
                    Thread.sleep(SqliteConnections.BUSY_TIMEOUT_MS * 3L);
                    s.execute("COMMIT");
                }
                return null;
            });
            locked.await(10, TimeUnit.SECONDS);

            db.transaction(c -> insert(c, "a", 1));

            hold.get(10, TimeUnit.SECONDS);
            assertThat(amount(db, "a")).isEqualTo(1);
        } finally {
            outsider.shutdownNow();
        }
    }

    @Test
    void transaction_deferredSync_runsAtNormalAndLeavesTheNextOneAtFull() {
        Database db = openNew();

        long during = db.transaction(EmbeddedDatabaseTest::synchronous, true);
        long after = db.transaction(EmbeddedDatabaseTest::synchronous);

        assertThat(during).isEqualTo(1); // NORMAL
        assertThat(after).isEqualTo(2); // FULL
    }

    private static long synchronous(Connection c) throws java.sql.SQLException {
        try (Statement s = c.createStatement(); java.sql.ResultSet r = s.executeQuery("PRAGMA synchronous")) {
            r.next();
            return r.getLong(1);
        }
    }
}
