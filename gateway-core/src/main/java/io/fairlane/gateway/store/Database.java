package io.fairlane.gateway.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's durable state: an embedded SQLite database in a directory, or a PostgreSQL server shared by
 * replicas ({@link StoreSettings}). Features (the response store, files and batches, shared state) each
 * {@linkplain #migrate register their own tables}, then read and write them with plain JDBC inside
 * {@link #transaction} and {@link #read}; large contents go to {@link #blobs()}.
 *
 * <h2>Blocking</h2>
 * Every method blocks on disk or network I/O. Call it from a virtual thread or a small executor, never from a
 * Netty event loop. SQLite runs in native code, which pins a virtual thread to its carrier for the length of each
 * call; the calls are short, and waiting for the single writer happens on a Java lock (which parks), not in
 * SQLite's busy handler (which would sleep on the carrier).
 *
 * <h2>Transactions</h2>
 * {@link #transaction} commits when the work returns and rolls back when it throws. When the database answers
 * that it is busy (SQLite's {@code SQLITE_BUSY}/{@code SQLITE_LOCKED}) or that the transaction lost a conflict
 * (PostgreSQL's serialization failure {@code 40001} or deadlock {@code 40P01}) the work is rolled back and run
 * again, up to {@value #MAX_ATTEMPTS} times with growing, jittered pauses. So the work may run more than once:
 * it must only touch the database through the connection it is given, and keep side effects outside (send the
 * HTTP response, write the blob) before or after. The connection it is given refuses {@code commit},
 * {@code rollback}, {@code setAutoCommit} and {@code close}: the transaction belongs to this class. Transactions
 * do not nest: calling {@code transaction} or {@code read} inside another on the same thread is an error,
 * since the inner one would run on a second connection and not see the outer one's writes; pass the
 * connection down instead.
 *
 * <p>Isolation is each database's default: SQLite transactions are serializable (one writer at a time, readers
 * on snapshots); PostgreSQL's are read committed. Work that reads and then writes on the strength of what it read
 * uses {@code SELECT ... FOR UPDATE} (see {@link Dialect#forUpdateSkipLocked()}) or an {@code INSERT ... ON
 * CONFLICT}, or runs {@code SET TRANSACTION ISOLATION LEVEL SERIALIZABLE} as its first statement on
 * PostgreSQL and lets the retry handle the conflicts.
 *
 * <h2>Migrations</h2>
 * See {@link #migrate}. The version table, {@code fairlane_migrations}, is created when the database opens.
 * Features name their tables after their namespace ({@code responses_items} for namespace {@code responses}).
 *
 * <p>Thread-safe. One instance per process and settings; {@link #close()} at shutdown.
 */
public final class Database implements AutoCloseable {

    /** How many times {@link #transaction} runs work that keeps meeting busy or conflicting databases. */
    public static final int MAX_ATTEMPTS = 10;

    private static final Logger LOG = LoggerFactory.getLogger(Database.class);
    private static final Pattern NAMESPACE = Pattern.compile("[a-z][a-z0-9_]{0,47}");
    private static final long FIRST_PAUSE_NANOS = 2_000_000L;
    private static final long LONGEST_PAUSE_NANOS = 250_000_000L;
    private static final String VERSION_TABLE = """
            CREATE TABLE IF NOT EXISTS fairlane_migrations (
              namespace VARCHAR(48) NOT NULL,
              version INTEGER NOT NULL,
              checksum VARCHAR(64) NOT NULL,
              applied_at BIGINT NOT NULL,
              PRIMARY KEY (namespace, version))""";
    /** Which database a thread is in a transaction on, so that nesting fails fast instead of deadlocking. */
    private static final ScopedValue<Database> IN_TRANSACTION = ScopedValue.newInstance();

    /**
     * Work done inside a transaction, given its connection. Runs again from the start when the transaction is
     * retried. Returns whatever the caller needs out of the transaction (or {@code null}).
     */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection connection) throws SQLException;
    }

    private final StoreSettings settings;
    private final Connections connections;
    private BlobStore blobs; // guarded by this

    private Database(StoreSettings settings, Connections connections) {
        this.settings = settings;
        this.connections = connections;
    }

    /** {@link #open(StoreSettings, Map)} with this process's environment. */
    public static Database open(StoreSettings settings) {
        return open(settings, System.getenv());
    }

    /**
     * Opens the database the settings name: creates the directory and takes its lock (embedded), or connects the
     * pool (PostgreSQL; the password is read from {@code environment}). Creates the version table.
     *
     * @throws StoreException when the directory is in use by another process, the server cannot be reached or
     *                        refuses the login, or the password's environment variable is not set
     */
    public static Database open(StoreSettings settings, Map<String, String> environment) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(environment, "environment");
        Connections connections = switch (settings) {
            case StoreSettings.Embedded embedded -> SqliteConnections.open(embedded.directory());
            case StoreSettings.Postgres postgres -> PostgresConnections.open(postgres, environment);
        };
        Database database = new Database(settings, connections);
        try {
            database.transaction(c -> {
                connections.lockForMigration(c);
                try (Statement s = c.createStatement()) {
                    s.executeUpdate(VERSION_TABLE);
                }
                return null;
            });
        } catch (RuntimeException e) {
            database.close();
            throw e;
        }
        LOG.info("durable state: {}", connections.describe());
        return database;
    }

    /** The settings this database was opened with. */
    public StoreSettings settings() {
        return settings;
    }

    /** Which SQL dialect to write. */
    public Dialect dialect() {
        return connections.dialect();
    }

    /**
     * Runs {@code work} in a read-write transaction and commits it; retries on busy or conflicting databases as
     * the class comment says.
     *
     * @return what the work returned, from its last (successful) run
     * @throws StoreException        when the work failed with an {@link SQLException} that is not retried, or
     *                               failed {@value #MAX_ATTEMPTS} times
     * @throws IllegalStateException when called inside another transaction on this thread
     */
    public <T> T transaction(Work<T> work) {
        return transaction(work, false);
    }

    /**
     * {@link #transaction(Work)}, where {@code deferSync} lets the commit return once the database has the
     * transaction, before it reaches the disk (SQLite's {@code synchronous=NORMAL} in WAL mode, PostgreSQL's
     * {@code synchronous_commit = off}, for this transaction only). A killed gateway process loses nothing either
     * way; a power cut or an operating system crash may lose the last such transactions, whole and in order (never a
     * part of one, never one that an ordinary transaction committed after it depends on, since that one's flush
     * carries it too). For frequent bookkeeping that is redone when lost, such as a batch's progress; never for
     * anything already acknowledged to a client.
     */
    public <T> T transaction(Work<T> work, boolean deferSync) {
        Objects.requireNonNull(work, "work");
        return withRetries("transaction", () -> connections.write(work, deferSync));
    }

    /**
     * Runs {@code work} in a read-only transaction: one consistent snapshot for all its queries. On the embedded
     * database reads run beside the writer instead of queueing behind it; writing in one is an error.
     */
    public <T> T read(Work<T> work) {
        Objects.requireNonNull(work, "work");
        return withRetries("read", () -> connections.read(work));
    }

    /**
     * Brings a feature's tables up to date: applies, in order and in one transaction, each step of
     * {@code migrations} the database has not recorded for {@code namespace}, and records it. Safe to call at
     * every start, by any number of replicas at once: on PostgreSQL the replicas take turns on an advisory lock,
     * on SQLite the write transaction is exclusive, so each step runs once.
     *
     * <p>Step {@code i} of the list (from 0) is version {@code i + 1}. Applied steps must not change (their
     * checksum is compared) and the list only grows. Versions the database has beyond the list are left alone,
     * with a warning: that is an older gateway starting beside a newer one during a rolling upgrade, and steps
     * are expected to be additive so that the older one still works.
     *
     * <p>Statements that PostgreSQL refuses inside a transaction ({@code CREATE INDEX CONCURRENTLY},
     * {@code VACUUM}) cannot be steps.
     *
     * @param namespace  the feature's name: lower-case letters, digits and underscores, starting with a letter
     * @param migrations the feature's steps, oldest first
     * @throws StoreException when a step fails (nothing of this call is kept) or an applied step was edited
     */
    public void migrate(String namespace, List<Migration> migrations) {
        Objects.requireNonNull(namespace, "namespace");
        if (!NAMESPACE.matcher(namespace).matches()) {
            throw new IllegalArgumentException("namespace: '" + namespace
                    + "' must be lower-case letters, digits and underscores, starting with a letter, at most 48");
        }
        List<Migration> steps = List.copyOf(Objects.requireNonNull(migrations, "migrations"));
        Dialect dialect = dialect();
        Outcome outcome = transaction(c -> {
            connections.lockForMigration(c);
            Map<Integer, String> applied = appliedChecksums(c, namespace);
            int newer = 0;
            for (Map.Entry<Integer, String> entry : applied.entrySet()) {
                int version = entry.getKey();
                if (version > steps.size()) {
                    newer++;
                } else if (!entry.getValue().equals(steps.get(version - 1).checksum(dialect))) {
                    throw new StoreException("migration " + namespace + " v" + version + " was changed after it was "
                            + "applied to this database; add a new step instead of editing an applied one");
                }
            }
            int highest = applied.keySet().stream().mapToInt(Integer::intValue).max().orElse(0);
            int ran = 0;
            for (int version = 1; version <= steps.size(); version++) {
                if (applied.containsKey(version)) {
                    continue;
                }
                if (highest > version) {
                    throw new StoreException("migration " + namespace + " v" + version + " was never applied, yet v"
                            + highest + " was: the version table has been edited by hand");
                }
                try (Statement s = c.createStatement()) {
                    connections.executeScript(s, steps.get(version - 1).sqlFor(dialect));
                } catch (SQLException e) {
                    if (connections.isRetryable(e)) {
                        throw e;
                    }
                    throw new StoreException("migration " + namespace + " v" + version + " failed: " + e.getMessage(),
                            e);
                }
                try (PreparedStatement insert = c.prepareStatement("INSERT INTO fairlane_migrations "
                        + "(namespace, version, checksum, applied_at) VALUES (?, ?, ?, ?)")) {
                    insert.setString(1, namespace);
                    insert.setInt(2, version);
                    insert.setString(3, steps.get(version - 1).checksum(dialect));
                    insert.setLong(4, System.currentTimeMillis());
                    insert.executeUpdate();
                }
                ran++;
            }
            return new Outcome(ran, newer);
        });
        if (outcome.applied() > 0) {
            LOG.info("durable state: {} migrated to v{} ({} step(s) applied)", namespace, steps.size(),
                    outcome.applied());
        }
        if (outcome.newer() > 0) {
            LOG.warn("durable state: the database has {} step(s) of {} newer than this gateway knows (v{}); "
                    + "a newer gateway has migrated it", outcome.newer(), namespace, steps.size());
        }
    }

    /** What one {@link #migrate} call did: steps it applied, and steps the database has beyond the list. */
    private record Outcome(int applied, int newer) {
    }

    /** The highest version of {@code namespace} applied to this database; 0 when none. */
    public int migratedVersion(String namespace) {
        Objects.requireNonNull(namespace, "namespace");
        return read(c -> appliedChecksums(c, namespace).keySet().stream().mapToInt(Integer::intValue).max()
                .orElse(0));
    }

    /**
     * The blob store for these settings, created on first use (which also clears what a crashed writer left):
     * blob files beside the embedded database, in {@code <directory>/blobs}, or chunked rows in PostgreSQL so that
     * every replica reads every blob.
     */
    public synchronized BlobStore blobs() {
        if (blobs == null) {
            blobs = switch (settings) {
                case StoreSettings.Embedded embedded -> DirectoryBlobStore.open(this,
                        embedded.directory().resolve("blobs"));
                case StoreSettings.Postgres ignored -> DatabaseBlobStore.open(this);
            };
        }
        return blobs;
    }

    /** Closes the connections (and releases the embedded directory's lock). Idempotent. */
    @Override
    public void close() {
        connections.close();
    }

    @Override
    public String toString() {
        return "Database[" + connections.describe() + "]";
    }

    private static Map<Integer, String> appliedChecksums(Connection c, String namespace) throws SQLException {
        Map<Integer, String> applied = new TreeMap<>();
        try (PreparedStatement select = c.prepareStatement(
                "SELECT version, checksum FROM fairlane_migrations WHERE namespace = ?")) {
            select.setString(1, namespace);
            try (ResultSet rows = select.executeQuery()) {
                while (rows.next()) {
                    applied.put(rows.getInt(1), rows.getString(2));
                }
            }
        }
        return applied;
    }

    /** One try of a transaction, with the connection handling done. */
    @FunctionalInterface
    private interface Attempt<T> {
        T run() throws SQLException;
    }

    private <T> T withRetries(String what, Attempt<T> attempt) {
        if (IN_TRANSACTION.isBound() && IN_TRANSACTION.get() == this) {
            throw new IllegalStateException(what + " called inside a transaction on the same database and thread: "
                    + "transactions do not nest; pass the connection down instead");
        }
        long pause = FIRST_PAUSE_NANOS;
        for (int attemptNumber = 1; ; attemptNumber++) {
            try {
                return ScopedValue.where(IN_TRANSACTION, this).call(attempt::run);
            } catch (SQLException e) {
                if (!connections.isRetryable(e)) {
                    throw new StoreException(what + " failed: " + e.getMessage(), e);
                }
                if (attemptNumber == MAX_ATTEMPTS) {
                    throw new StoreException(what + " still conflicting after " + MAX_ATTEMPTS + " attempts: "
                            + e.getMessage(), e);
                }
                LOG.debug("durable state: {} attempt {} conflicted, retrying: {}", what, attemptNumber, e.getMessage());
                sleep(ThreadLocalRandom.current().nextLong(pause / 2, pause + 1));
                pause = Math.min(pause * 2, LONGEST_PAUSE_NANOS);
            }
        }
    }

    private static void sleep(long nanos) {
        try {
            Thread.sleep(nanos / 1_000_000L, (int) (nanos % 1_000_000L));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting to retry a transaction", e);
        }
    }
}
