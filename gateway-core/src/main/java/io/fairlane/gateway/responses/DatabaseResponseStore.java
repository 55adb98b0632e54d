package io.fairlane.gateway.responses;

import io.fairlane.gateway.config.ResponsesConfig;
import io.fairlane.gateway.store.Database;
import io.fairlane.gateway.store.DurableState;
import io.fairlane.gateway.store.Migration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Responses kept in the gateway's durable store ({@link Database}: embedded SQLite in the configured directory, or
 * PostgreSQL), so that they survive a restart. One row per response, its JSON and input items in two binary
 * columns: a response is bounded ({@code max_response_size}, 4 MiB by default) and read whole, so blobs beside the
 * database would only add a second write to every put (docs/adr/0008-response-store.md).
 *
 * <p>Writes never hold up a request: {@link #put} and {@link #delete} go to one writer thread, in order, and until a
 * write is committed it is served from memory ({@code pending}), so a client continuing a response the moment it
 * completed finds it. The same transaction that inserts a response trims its tenant back within its bounds, oldest
 * first; expired rows are removed by a sweep once a minute and never read.
 *
 * <p>Thread-safe. Blocking work runs on virtual threads, never on the caller's.
 */
public final class DatabaseResponseStore implements ResponseStore {

    private static final Logger LOG = LoggerFactory.getLogger(DatabaseResponseStore.class);
    static final String NAMESPACE = "responses";

    /** The feature's schema; steps are only ever appended. */
    static final List<Migration> MIGRATIONS = List.of(Migration.perDialect("""
            CREATE TABLE responses_stored (
              tenant VARCHAR(128) NOT NULL,
              id VARCHAR(160) NOT NULL,
              model VARCHAR(256) NOT NULL,
              created_at BIGINT NOT NULL,
              expires_at BIGINT NOT NULL,
              bytes BIGINT NOT NULL,
              response BLOB NOT NULL,
              items BLOB NOT NULL,
              PRIMARY KEY (tenant, id));
            CREATE INDEX responses_stored_age ON responses_stored (tenant, created_at);
            CREATE INDEX responses_stored_expiry ON responses_stored (expires_at)""", """
            CREATE TABLE responses_stored (
              tenant VARCHAR(128) NOT NULL,
              id VARCHAR(160) NOT NULL,
              model VARCHAR(256) NOT NULL,
              created_at BIGINT NOT NULL,
              expires_at BIGINT NOT NULL,
              bytes BIGINT NOT NULL,
              response BYTEA NOT NULL,
              items BYTEA NOT NULL,
              PRIMARY KEY (tenant, id));
            CREATE INDEX responses_stored_age ON responses_stored (tenant, created_at);
            CREATE INDEX responses_stored_expiry ON responses_stored (expires_at)"""));

    private record Key(String tenant, String id) {
    }

    /** The database once it is open and the feature's tables are up to date; fails when it cannot be opened. */
    private final CompletableFuture<Database> database;
    private final ResponsesConfig config;
    private final LongSupplier clock;
    /** Writes not yet committed: a response, or empty for a delete. */
    private final Map<Key, Optional<StoredResponse>> pending = new ConcurrentHashMap<>();
    private final ExecutorService writer = Executors.newSingleThreadExecutor(
            Thread.ofVirtual().name("responses-store-writer").factory());
    private final ExecutorService readers = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("responses-store-reader-", 0).factory());
    private final ScheduledExecutorService sweeper = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("responses-store-sweep").factory());

    /**
     * Brings the feature's tables up to date (blocking) and starts the sweep.
     *
     * @param clock epoch milliseconds (tests move it)
     */
    public DatabaseResponseStore(Database database, ResponsesConfig config, LongSupplier clock) {
        this(CompletableFuture.completedFuture(Objects.requireNonNull(database, "database")), config, clock);
    }

    /**
     * A store on the gateway's durable state, which opens in the background: its tables are brought up to date once
     * the database is open, writes wait for that in order behind one another, and reads fail with
     * {@link io.fairlane.gateway.store.DurableState.Unavailable} when it could not be opened.
     *
     * @param clock epoch milliseconds (tests move it)
     */
    public DatabaseResponseStore(CompletableFuture<Database> database, ResponsesConfig config, LongSupplier clock) {
        Objects.requireNonNull(database, "database");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.database = database.thenApply(db -> {
            if (db == null) {
                throw new DurableState.Unavailable("the gateway is shutting down");
            }
            db.migrate(NAMESPACE, MIGRATIONS);
            return db;
        });
        sweeper.scheduleWithFixedDelay(() -> writer.execute(this::sweep), 1, 1, TimeUnit.MINUTES);
    }

    /** The open database, waiting for it (on the store's own threads only). */
    private Database db() {
        try {
            return database.join();
        } catch (CompletionException e) {
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }

    @Override
    public boolean put(StoredResponse response) {
        if (response.size() > config.maxResponseBytes()) {
            return false;
        }
        Key key = new Key(response.tenant(), response.id());
        Optional<StoredResponse> marker = Optional.of(response);
        pending.put(key, marker);
        try {
            writer.execute(() -> write(key, marker, response));
        } catch (RejectedExecutionException e) {
            pending.remove(key, marker);
            return false; // closing
        }
        return true;
    }

    private void write(Key key, Optional<StoredResponse> marker, StoredResponse response) {
        try {
            db().transaction(c -> {
                insert(c, response);
                trim(c, response.tenant());
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("storing response {} of tenant {} failed; it will not be found", response.id(),
                    response.tenant(), e);
        } finally {
            pending.remove(key, marker);
        }
    }

    @Override
    public CompletableFuture<Optional<StoredResponse>> get(String tenant, String id) {
        Optional<StoredResponse> waiting = pending.get(new Key(tenant, id));
        if (waiting != null) {
            return CompletableFuture.completedFuture(waiting.filter(r -> r.expiresAt() > clock.getAsLong()));
        }
        return CompletableFuture.supplyAsync(() -> db().read(c -> select(c, tenant, id)), readers);
    }

    @Override
    public CompletableFuture<Boolean> delete(String tenant, String id) {
        return get(tenant, id).thenApply(found -> {
            if (found.isEmpty()) {
                return false;
            }
            Key key = new Key(tenant, id);
            Optional<StoredResponse> tombstone = Optional.empty();
            pending.put(key, tombstone);
            writer.execute(() -> {
                try {
                    db().transaction(c -> {
                        try (PreparedStatement d = c.prepareStatement(
                                "DELETE FROM responses_stored WHERE tenant = ? AND id = ?")) {
                            d.setString(1, tenant);
                            d.setString(2, id);
                            return d.executeUpdate();
                        }
                    });
                } catch (RuntimeException e) {
                    LOG.warn("deleting response {} of tenant {} failed", id, tenant, e);
                } finally {
                    pending.remove(key, tombstone);
                }
            });
            return true;
        });
    }

    @Override
    public void flush() {
        try {
            writer.submit(() -> { }).get(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("the response store's writer did not catch up", e);
        }
    }

    private void insert(Connection c, StoredResponse r) throws SQLException {
        try (PreparedStatement d = c.prepareStatement("DELETE FROM responses_stored WHERE tenant = ? AND id = ?")) {
            d.setString(1, r.tenant());
            d.setString(2, r.id());
            d.executeUpdate();
        }
        try (PreparedStatement i = c.prepareStatement("INSERT INTO responses_stored (tenant, id, model, created_at, "
                + "expires_at, bytes, response, items) VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            i.setString(1, r.tenant());
            i.setString(2, r.id());
            i.setString(3, r.model());
            i.setLong(4, r.createdAt());
            i.setLong(5, r.expiresAt());
            i.setLong(6, r.size());
            i.setBytes(7, r.response());
            i.setBytes(8, r.items());
            i.executeUpdate();
        }
    }

    /** Deletes the tenant's expired responses, then its oldest until it is within its bounds. */
    private void trim(Connection c, String tenant) throws SQLException {
        try (PreparedStatement d = c.prepareStatement(
                "DELETE FROM responses_stored WHERE tenant = ? AND expires_at <= ?")) {
            d.setString(1, tenant);
            d.setLong(2, clock.getAsLong());
            d.executeUpdate();
        }
        long count;
        long bytes;
        try (PreparedStatement s = c.prepareStatement(
                "SELECT COUNT(*), COALESCE(SUM(bytes), 0) FROM responses_stored WHERE tenant = ?")) {
            s.setString(1, tenant);
            try (ResultSet rows = s.executeQuery()) {
                rows.next();
                count = rows.getLong(1);
                bytes = rows.getLong(2);
            }
        }
        if (count <= config.maxResponses() && bytes <= config.maxBytes()) {
            return;
        }
        List<String> evicted = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement(
                "SELECT id, bytes FROM responses_stored WHERE tenant = ? ORDER BY created_at, id")) {
            s.setString(1, tenant);
            try (ResultSet rows = s.executeQuery()) {
                while ((count > config.maxResponses() || bytes > config.maxBytes()) && rows.next()) {
                    evicted.add(rows.getString(1));
                    count--;
                    bytes -= rows.getLong(2);
                }
            }
        }
        try (PreparedStatement d = c.prepareStatement("DELETE FROM responses_stored WHERE tenant = ? AND id = ?")) {
            for (String id : evicted) {
                d.setString(1, tenant);
                d.setString(2, id);
                d.addBatch();
            }
            d.executeBatch();
        }
    }

    private Optional<StoredResponse> select(Connection c, String tenant, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT model, created_at, expires_at, response, items "
                + "FROM responses_stored WHERE tenant = ? AND id = ? AND expires_at > ?")) {
            s.setString(1, tenant);
            s.setString(2, id);
            s.setLong(3, clock.getAsLong());
            try (ResultSet rows = s.executeQuery()) {
                if (!rows.next()) {
                    return Optional.empty();
                }
                return Optional.of(new StoredResponse(tenant, id, rows.getString(1), rows.getLong(2),
                        rows.getLong(3), rows.getBytes(4), rows.getBytes(5)));
            }
        }
    }

    private void sweep() {
        try {
            if (!database.isDone() || database.isCompletedExceptionally()) {
                return;
            }
            int removed = db().transaction(c -> {
                try (PreparedStatement d = c.prepareStatement("DELETE FROM responses_stored WHERE expires_at <= ?")) {
                    d.setLong(1, clock.getAsLong());
                    return d.executeUpdate();
                }
            });
            if (removed > 0) {
                LOG.debug("response store: {} expired responses removed", removed);
            }
        } catch (RuntimeException e) {
            LOG.warn("response store: removing expired responses failed", e);
        }
    }

    @Override
    public void close() {
        sweeper.shutdownNow();
        writer.shutdown();
        try {
            if (!writer.awaitTermination(5, TimeUnit.SECONDS)) {
                LOG.warn("response store: writes still under way after 5 s; {} not stored", pending.size());
                writer.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            writer.shutdownNow();
        }
        readers.shutdown();
    }

    @Override
    public String toString() {
        return "DatabaseResponseStore[" + database + "]";
    }
}
