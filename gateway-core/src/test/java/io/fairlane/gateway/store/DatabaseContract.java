package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * What {@link Database} promises on either backend: migrations (once, in order, atomically, safe under
 * concurrent starts), transactions (commit, rollback, retry on conflicts, no nesting), read-only reads, and the
 * dialect's SQL. One subclass per backend.
 */
abstract class DatabaseContract {

    private static final List<Migration> COUNTER = List.of(
            Migration.sql("CREATE TABLE counter_values (name VARCHAR(20) PRIMARY KEY, amount BIGINT NOT NULL)"),
            Migration.sql("INSERT INTO counter_values VALUES ('steps', 1)"),
            Migration.sql("UPDATE counter_values SET amount = amount * 10 WHERE name = 'steps'"));

    private final List<Database> opened = new ArrayList<>();
    private StoreBackend backend;

    /** The backend under test; called once per test. */
    abstract StoreBackend createBackend();

    final StoreBackend backend() {
        if (backend == null) {
            backend = createBackend();
        }
        return backend;
    }

    final Database open(StoreSettings settings) {
        Database database = backend().open(settings);
        opened.add(database);
        return database;
    }

    final Database openNew() {
        return open(backend().newStore());
    }

    @AfterEach
    void closeDatabases() {
        opened.forEach(Database::close);
    }

    // ---- migrations

    @Test
    void migrate_freshDatabase_appliesEveryStepInOrder() {
        Database db = openNew();

        db.migrate("counter", COUNTER);

        // v3 multiplies what v2 inserted: 10 only if they ran once each, in order.
        assertThat(amount(db, "steps")).isEqualTo(10);
    }

    @Test
    void migrate_freshDatabase_recordsTheLastVersion() {
        Database db = openNew();

        db.migrate("counter", COUNTER);

        assertThat(db.migratedVersion("counter")).isEqualTo(3);
    }

    @Test
    void migrate_calledAgain_runsNoStepTwice() {
        Database db = openNew();
        db.migrate("counter", COUNTER);

        db.migrate("counter", COUNTER);

        assertThat(amount(db, "steps")).isEqualTo(10);
    }

    @Test
    void migrate_afterReopening_runsNoStepTwice() {
        StoreSettings settings = backend().newStore();
        Database first = open(settings);
        first.migrate("counter", COUNTER);
        first.close();

        Database second = open(settings);
        second.migrate("counter", COUNTER);

        assertThat(amount(second, "steps")).isEqualTo(10);
    }

    @Test
    void migrate_stepAppended_runsOnlyTheNewStep() {
        Database db = openNew();
        db.migrate("counter", COUNTER.subList(0, 2));

        db.migrate("counter", COUNTER);

        assertThat(amount(db, "steps")).isEqualTo(10);
    }

    @Test
    void migrate_twoNamespaces_keepSeparateVersions() {
        Database db = openNew();
        db.migrate("counter", COUNTER);

        db.migrate("other", List.of(Migration.sql("CREATE TABLE other_things (id INTEGER PRIMARY KEY)")));

        assertThat(List.of(db.migratedVersion("counter"), db.migratedVersion("other"), db.migratedVersion("none")))
                .containsExactly(3, 1, 0);
    }

    @Test
    void migrate_appliedStepEdited_failsNamingTheStep() {
        Database db = openNew();
        db.migrate("counter", COUNTER);
        List<Migration> edited = List.of(COUNTER.get(0),
                Migration.sql("INSERT INTO counter_values VALUES ('steps', 2)"), COUNTER.get(2));

        assertThatThrownBy(() -> db.migrate("counter", edited))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("counter v2 was changed");
    }

    @Test
    void migrate_failingStep_keepsNothingOfTheCall() {
        Database db = openNew();
        List<Migration> broken = List.of(COUNTER.get(0), Migration.sql("INSERT INTO no_such_table VALUES (1)"));

        assertThatThrownBy(() -> db.migrate("counter", broken))
                .isInstanceOf(StoreException.class)
                .hasMessageContaining("counter v2 failed");
        assertThat(tableExists(db, "counter_values")).isFalse();
    }

    @Test
    void migrate_afterAFailedStepIsFixed_appliesEverything() {
        Database db = openNew();
        List<Migration> broken = List.of(COUNTER.get(0), Migration.sql("INSERT INTO no_such_table VALUES (1)"));
        assertThatThrownBy(() -> db.migrate("counter", broken)).isInstanceOf(StoreException.class);

        db.migrate("counter", COUNTER);

        assertThat(amount(db, "steps")).isEqualTo(10);
    }

    @Test
    void migrate_perDialectStepWithSeveralStatements_runsAllOfTheTextForItsDatabase() {
        Database db = openNew();

        db.migrate("dialects", List.of(Migration.perDialect(
                "CREATE TABLE dialects_seen (name VARCHAR(20)); INSERT INTO dialects_seen VALUES ('SQLITE');"
                        + " INSERT INTO dialects_seen VALUES ('again')",
                "CREATE TABLE dialects_seen (name VARCHAR(20)); INSERT INTO dialects_seen VALUES ('POSTGRESQL');"
                        + " INSERT INTO dialects_seen VALUES ('again')")));

        assertThat(strings(db, "SELECT name FROM dialects_seen ORDER BY name"))
                .containsExactly(db.dialect().name(), "again");
    }

    @Test
    void migrate_newerVersionsInTheDatabase_leavesThemAndKeepsWorking() {
        Database db = openNew();
        db.migrate("counter", COUNTER);

        db.migrate("counter", COUNTER.subList(0, 2)); // an older gateway during a rolling upgrade

        assertThat(db.migratedVersion("counter")).isEqualTo(3);
    }

    @Test
    void migrate_badNamespace_isRejected() {
        Database db = openNew();

        assertThatThrownBy(() -> db.migrate("Responses!", COUNTER))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("namespace");
    }

    @Test
    void migrate_concurrentStarts_runEachStepOnce() throws Exception {
        // Steps that cannot run twice: CREATE TABLE without IF NOT EXISTS, and an INSERT into a primary key.
        StoreSettings settings = backend().newStore();
        int starts = 6;
        List<Database> replicas = new ArrayList<>();
        Database shared = open(settings);
        for (int i = 0; i < starts; i++) {
            // Replicas each open their own connection pool; an embedded store belongs to one process, so there
            // the "starts" are threads of that process.
            replicas.add(backend().sharedByReplicas() && i > 0 ? open(settings) : shared);
        }
        CyclicBarrier together = new CyclicBarrier(starts);
        ExecutorService threads = Executors.newFixedThreadPool(starts);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (Database replica : replicas) {
                done.add(threads.submit(() -> {
                    together.await(10, TimeUnit.SECONDS);
                    replica.migrate("counter", COUNTER);
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            threads.shutdownNow();
        }

        assertThat(amount(shared, "steps")).isEqualTo(10);
    }

    // ---- transactions

    @Test
    void transaction_workReturns_commits() {
        Database db = migrated();

        db.transaction(c -> insert(c, "a", 1));

        assertThat(amount(db, "a")).isEqualTo(1);
    }

    @Test
    void transaction_deferredSync_commitsAndSurvivesReopening() {
        StoreSettings settings = backend().newStore();
        Database first = open(settings);
        first.migrate("counter", COUNTER);

        first.transaction(c -> insert(c, "a", 1), true);
        assertThat(amount(first, "a")).isEqualTo(1);
        first.close();

        assertThat(amount(open(settings), "a")).isEqualTo(1);
    }

    @Test
    void transaction_deferredSyncWorkThrows_rollsBack() {
        Database db = migrated();

        assertThatThrownBy(() -> db.transaction(c -> {
            insert(c, "a", 1);
            throw new IllegalStateException("boom");
        }, true)).isInstanceOf(IllegalStateException.class);

        assertThat(count(db)).isZero();
        db.transaction(c -> insert(c, "b", 2));
        assertThat(amount(db, "b")).isEqualTo(2);
    }

    @Test
    void transaction_workThrows_rollsBackAndRethrowsTheSameException() {
        Database db = migrated();
        IllegalStateException boom = new IllegalStateException("boom");

        assertThatThrownBy(() -> db.transaction(c -> {
            insert(c, "a", 1);
            throw boom;
        })).isSameAs(boom);
        assertThat(count(db)).isZero();
    }

    @Test
    void transaction_sqlFails_rollsBackAndThrowsStoreException() {
        Database db = migrated();

        assertThatThrownBy(() -> db.transaction(c -> {
            insert(c, "a", 1);
            return insert(c, "a", 2); // duplicate key
        })).isInstanceOf(StoreException.class).hasCauseInstanceOf(SQLException.class);
        assertThat(count(db)).isZero();
    }

    @Test
    void transaction_conflictsTwice_runsTheWorkAgainUntilItCommits() {
        Database db = migrated();
        AtomicInteger runs = new AtomicInteger();

        db.transaction(c -> {
            insert(c, "a", 1); // rolled back with each failed run
            if (runs.incrementAndGet() < 3) {
                throw backend().conflict();
            }
            return null;
        });

        assertThat(List.of((long) runs.get(), count(db))).containsExactly(3L, 1L);
    }

    @Test
    void transaction_conflictsEveryTime_givesUpAfterMaxAttempts() {
        Database db = migrated();
        AtomicInteger runs = new AtomicInteger();

        assertThatThrownBy(() -> db.transaction(c -> {
            runs.incrementAndGet();
            throw backend().conflict();
        })).isInstanceOf(StoreException.class).hasMessageContaining("after " + Database.MAX_ATTEMPTS + " attempts");
        assertThat(runs.get()).isEqualTo(Database.MAX_ATTEMPTS);
    }

    @Test
    void transaction_otherFailure_isNotRetried() {
        Database db = migrated();
        AtomicInteger runs = new AtomicInteger();

        assertThatThrownBy(() -> db.transaction(c -> {
            runs.incrementAndGet();
            throw new SQLException("syntax error", "42601");
        })).isInstanceOf(StoreException.class);
        assertThat(runs.get()).isEqualTo(1);
    }

    @Test
    void transaction_concurrentReadModifyWrite_losesNoIncrement() throws Exception {
        // Each increment reads, then writes what it read plus one. On PostgreSQL the work asks for serializable
        // isolation, so conflicting increments fail with 40001 and are retried; on SQLite writers take turns.
        Database db = migrated();
        db.transaction(c -> insert(c, "hits", 0));
        int threads = 4;
        int each = 15;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                done.add(pool.submit(() -> {
                    for (int i = 0; i < each; i++) {
                        db.transaction(c -> {
                            if (db.dialect() == Dialect.POSTGRESQL) {
                                try (Statement s = c.createStatement()) {
                                    s.execute("SET TRANSACTION ISOLATION LEVEL SERIALIZABLE");
                                }
                            }
                            long seen = amountIn(c, "hits");
                            try (PreparedStatement update = c.prepareStatement(
                                    "UPDATE counter_values SET amount = ? WHERE name = 'hits'")) {
                                update.setLong(1, seen + 1);
                                return update.executeUpdate();
                            }
                        });
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(amount(db, "hits")).isEqualTo(threads * each);
    }

    @Test
    void transaction_insideATransaction_failsFast() {
        Database db = migrated();

        assertThatThrownBy(() -> db.transaction(outer -> db.transaction(inner -> insert(inner, "a", 1))))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("do not nest");
    }

    @Test
    void read_insideATransaction_failsFast() {
        Database db = migrated();

        assertThatThrownBy(() -> db.transaction(outer -> db.read(inner -> 1)))
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("do not nest");
    }

    @Test
    void transaction_workCommitsByItself_isRefusedAndRolledBack() {
        Database db = migrated();

        assertThatThrownBy(() -> db.transaction(c -> {
            insert(c, "a", 1);
            c.commit();
            return null;
        })).isInstanceOf(StoreException.class).hasMessageContaining("commit is not allowed");
        assertThat(count(db)).isZero();
    }

    @Test
    void transaction_workClosesTheConnection_isRefused() {
        Database db = migrated();

        assertThatThrownBy(() -> db.transaction(c -> {
            c.close();
            return null;
        })).isInstanceOf(StoreException.class).hasMessageContaining("close is not allowed");
    }

    @Test
    void read_workWrites_isRefused() {
        Database db = migrated();

        assertThatThrownBy(() -> db.read(c -> insert(c, "a", 1))).isInstanceOf(StoreException.class);
        assertThat(count(db)).isZero();
    }

    @Test
    void read_whileAWriteIsOpen_seesTheLastCommitWithoutWaiting() throws Exception {
        Database db = migrated();
        db.transaction(c -> insert(c, "a", 1));
        CountDownLatch writing = new CountDownLatch(1);
        CountDownLatch finish = new CountDownLatch(1);
        ExecutorService writer = Executors.newSingleThreadExecutor();
        try {
            Future<?> write = writer.submit(() -> db.transaction(c -> {
                try (PreparedStatement update = c.prepareStatement(
                        "UPDATE counter_values SET amount = 2 WHERE name = 'a'")) {
                    update.executeUpdate();
                }
                writing.countDown();
                await(finish);
                return null;
            }));
            writing.await(10, TimeUnit.SECONDS);

            long seen = assertTimeoutPreemptively(Duration.ofSeconds(5), () -> amount(db, "a"));

            finish.countDown();
            write.get(10, TimeUnit.SECONDS);
            assertThat(seen).isEqualTo(1);
        } finally {
            finish.countDown();
            writer.shutdownNow();
        }
    }

    // ---- dialect

    @Test
    void upsert_existingKey_overwritesTheValues() {
        Database db = migrated();
        String upsert = db.dialect().upsert("counter_values", List.of("name"), List.of("amount"));

        db.transaction(c -> runUpsert(c, upsert, "a", 1));
        db.transaction(c -> runUpsert(c, upsert, "a", 2));

        assertThat(List.of(count(db), amount(db, "a"))).containsExactly(1L, 2L);
    }

    @Test
    void insertOrIgnore_existingKey_keepsTheExistingRow() {
        Database db = migrated();
        db.transaction(c -> insert(c, "a", 1));
        String insertOrIgnore = db.dialect().insertOrIgnore("counter_values", List.of("name"), List.of("amount"));

        int inserted = db.transaction(c -> runUpsert(c, insertOrIgnore, "a", 5));

        assertThat(inserted).isZero();
    }

    @Test
    void insertOrIgnore_existingKey_leavesItsValues() {
        Database db = migrated();
        db.transaction(c -> insert(c, "a", 1));
        String insertOrIgnore = db.dialect().insertOrIgnore("counter_values", List.of("name"), List.of("amount"));

        db.transaction(c -> runUpsert(c, insertOrIgnore, "a", 5));

        assertThat(amount(db, "a")).isEqualTo(1);
    }

    @Test
    void nowMillis_isTheCurrentTime() {
        Database db = openNew();
        long before = System.currentTimeMillis();

        long now = db.read(c -> {
            try (Statement s = c.createStatement();
                 ResultSet rows = s.executeQuery("SELECT " + db.dialect().nowMillis())) {
                rows.next();
                return rows.getLong(1);
            }
        });

        assertThat(now).isBetween(before - 2_000, System.currentTimeMillis() + 2_000);
    }

    @Test
    void blobType_storesBytesAsTheyWere() {
        Database db = openNew();
        db.migrate("bytes", List.of(Migration.sql(
                "CREATE TABLE bytes_rows (id INTEGER PRIMARY KEY, data " + db.dialect().blobType() + ")")));
        byte[] data = {0, 1, (byte) 0xff, 0, 42};

        db.transaction(c -> {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO bytes_rows VALUES (1, ?)")) {
                insert.setBytes(1, data);
                return insert.executeUpdate();
            }
        });

        byte[] read = db.read(c -> {
            try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery("SELECT data FROM bytes_rows")) {
                rows.next();
                return rows.getBytes(1);
            }
        });
        assertThat(read).isEqualTo(data);
    }

    @Test
    void forUpdateSkipLocked_rowClaimedElsewhere_isSkipped() throws Exception {
        // Two workers claim one row each from a queue of two. With SKIP LOCKED (PostgreSQL) the second skips the
        // row the first holds; on SQLite the first worker's transaction excludes the second until it commits,
        // so the second sees the first one's claim. Either way no row is claimed twice.
        Database db = migrated();
        db.transaction(c -> insert(c, "job1", 0) + insert(c, "job2", 0));
        String claim = "SELECT name FROM counter_values WHERE amount = 0 ORDER BY name LIMIT 1"
                + db.dialect().forUpdateSkipLocked();
        CountDownLatch claimed = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService first = Executors.newSingleThreadExecutor();
        try {
            Future<String> firstClaim = first.submit(() -> db.transaction(c -> {
                String name = claimOne(c, claim);
                claimed.countDown();
                await(release);
                return name;
            }));
            claimed.await(10, TimeUnit.SECONDS);
            ExecutorService second = Executors.newSingleThreadExecutor();
            try {
                Future<String> secondClaim = second.submit(() -> db.transaction(c -> claimOne(c, claim)));
                if (db.dialect().supportsSkipLocked()) {
                    String secondName = secondClaim.get(10, TimeUnit.SECONDS);
                    release.countDown();
                    assertThat(List.of(firstClaim.get(10, TimeUnit.SECONDS), secondName))
                            .containsExactly("job1", "job2");
                } else {
                    release.countDown();
                    assertThat(List.of(firstClaim.get(10, TimeUnit.SECONDS), secondClaim.get(10, TimeUnit.SECONDS)))
                            .containsExactly("job1", "job2");
                }
            } finally {
                second.shutdownNow();
            }
        } finally {
            release.countDown();
            first.shutdownNow();
        }
    }

    // ---- helpers

    final Database migrated() {
        Database db = openNew();
        db.migrate("counter", COUNTER.subList(0, 1));
        return db;
    }

    private static String claimOne(Connection c, String claim) throws SQLException {
        String name;
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(claim)) {
            name = rows.next() ? rows.getString(1) : null;
        }
        if (name != null) {
            try (PreparedStatement mark = c.prepareStatement(
                    "UPDATE counter_values SET amount = 1 WHERE name = ?")) {
                mark.setString(1, name);
                mark.executeUpdate();
            }
        }
        return name;
    }

    private static void await(CountDownLatch latch) {
        try {
            if (!latch.await(20, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test latch never opened");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static int insert(Connection c, String name, long amount) throws SQLException {
        try (PreparedStatement insert = c.prepareStatement("INSERT INTO counter_values VALUES (?, ?)")) {
            insert.setString(1, name);
            insert.setLong(2, amount);
            return insert.executeUpdate();
        }
    }

    private static int runUpsert(Connection c, String upsert, String name, long amount) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(upsert)) {
            s.setString(1, name);
            s.setLong(2, amount);
            return s.executeUpdate();
        }
    }

    static long amount(Database db, String name) {
        return db.read(c -> amountIn(c, name));
    }

    private static long amountIn(Connection c, String name) throws SQLException {
        try (PreparedStatement select = c.prepareStatement("SELECT amount FROM counter_values WHERE name = ?")) {
            select.setString(1, name);
            try (ResultSet rows = select.executeQuery()) {
                if (!rows.next()) {
                    throw new SQLException("no counter " + name);
                }
                return rows.getLong(1);
            }
        }
    }

    private static long count(Database db) {
        return db.read(c -> {
            try (Statement s = c.createStatement();
                 ResultSet rows = s.executeQuery("SELECT COUNT(*) FROM counter_values")) {
                rows.next();
                return rows.getLong(1);
            }
        });
    }

    private static List<String> strings(Database db, String sql) {
        return db.read(c -> {
            List<String> values = new ArrayList<>();
            try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
            return values;
        });
    }

    private static boolean tableExists(Database db, String table) {
        return db.read(c -> {
            try (ResultSet tables = c.getMetaData().getTables(null, null, table, null)) {
                return tables.next();
            }
        });
    }
}
