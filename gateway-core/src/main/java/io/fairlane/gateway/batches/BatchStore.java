package io.fairlane.gateway.batches;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.store.Database;
import io.fairlane.gateway.store.Migration;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Batches in durable state: one row per batch ({@code batches_jobs}) with its status, counts, usage and
 * timestamps; its lines live in {@code batches_lines} ({@link BatchLines}).
 *
 * <p>Work on a batch as a whole (validating its input, writing its results) is claimed with a lease: a row's
 * {@code owner} and {@code lease_until}, taken by a conditional update that only one process can win, renewed while
 * the work runs, and free for another process once it lapses (a crash). Status transitions are conditional updates
 * too ({@code WHERE status = ...}), so a cancel that races the end of a batch has exactly one winner.
 *
 * <p>Every method blocks: call from a virtual thread. Thread-safe.
 */
public final class BatchStore {

    static final String JOB_COLUMNS = "id, tenant, status, endpoint, input_file_id, completion_window, tier, model, "
            + "metadata, errors, output_file_id, error_file_id, output_expires_after, total, completed, failed, "
            + "input_tokens, cached_tokens, output_tokens, reasoning_tokens, created_at, expires_at, in_progress_at, "
            + "finalizing_at, completed_at, failed_at, expired_at, cancelling_at, cancelled_at";
    private static final List<Migration> SCHEMA = List.of(Migration.sql("""
            CREATE TABLE batches_jobs (
              id VARCHAR(64) PRIMARY KEY,
              tenant VARCHAR(128) NOT NULL,
              status VARCHAR(16) NOT NULL,
              endpoint VARCHAR(64) NOT NULL,
              input_file_id VARCHAR(64) NOT NULL,
              completion_window VARCHAR(8) NOT NULL,
              tier VARCHAR(16) NOT NULL,
              model VARCHAR(256),
              metadata TEXT,
              errors TEXT,
              output_file_id VARCHAR(64),
              error_file_id VARCHAR(64),
              output_expires_after BIGINT,
              total BIGINT NOT NULL DEFAULT 0,
              completed BIGINT NOT NULL DEFAULT 0,
              failed BIGINT NOT NULL DEFAULT 0,
              input_tokens BIGINT NOT NULL DEFAULT 0,
              cached_tokens BIGINT NOT NULL DEFAULT 0,
              output_tokens BIGINT NOT NULL DEFAULT 0,
              reasoning_tokens BIGINT NOT NULL DEFAULT 0,
              created_at BIGINT NOT NULL,
              expires_at BIGINT NOT NULL,
              in_progress_at BIGINT,
              finalizing_at BIGINT,
              completed_at BIGINT,
              failed_at BIGINT,
              expired_at BIGINT,
              cancelling_at BIGINT,
              cancelled_at BIGINT,
              ending VARCHAR(16),
              owner VARCHAR(64),
              lease_until BIGINT);
            CREATE INDEX batches_jobs_by_tenant ON batches_jobs (tenant, created_at, id);
            CREATE INDEX batches_jobs_by_status ON batches_jobs (status);
            CREATE TABLE batches_lines (
              batch_id VARCHAR(64) NOT NULL,
              line_no INTEGER NOT NULL,
              custom_id VARCHAR(512) NOT NULL,
              body TEXT NOT NULL,
              state SMALLINT NOT NULL,
              attempts INTEGER NOT NULL DEFAULT 0,
              not_before BIGINT NOT NULL DEFAULT 0,
              queued_at BIGINT NOT NULL DEFAULT 0,
              owner VARCHAR(64),
              lease_until BIGINT,
              ok SMALLINT,
              result TEXT,
              PRIMARY KEY (batch_id, line_no));
            CREATE INDEX batches_lines_by_state ON batches_lines (batch_id, state, line_no);
            CREATE INDEX batches_lines_by_owner ON batches_lines (owner)"""));

    /** The batch exists but its status does not allow what was asked; {@link #status()} says which it is in. */
    public static final class WrongStatus extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final transient Batch batch;

        WrongStatus(Batch batch) {
            super(batch.status().wire(), null, false, false);
            this.batch = batch;
        }

        public Batch batch() {
            return batch;
        }

        public Batch.Status status() {
            return batch.status();
        }
    }

    private final Database database;
    private final BatchLines lines;

    private BatchStore(Database database) {
        this.database = database;
        this.lines = new BatchLines(database);
    }

    /** The store on {@code database}, its tables created or brought up to date. */
    public static BatchStore open(Database database) {
        Objects.requireNonNull(database, "database");
        database.migrate("batches", SCHEMA);
        return new BatchStore(database);
    }

    public Database database() {
        return database;
    }

    public BatchLines lines() {
        return lines;
    }

    /** Inserts a new batch (status {@code validating}). */
    public void create(Batch b) {
        database.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO batches_jobs (id, tenant, status, endpoint, "
                    + "input_file_id, completion_window, tier, metadata, output_expires_after, created_at, expires_at) "
                    + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                s.setString(1, b.id());
                s.setString(2, b.tenant());
                s.setString(3, b.status().wire());
                s.setString(4, b.endpoint());
                s.setString(5, b.inputFileId());
                s.setString(6, b.completionWindow());
                s.setString(7, b.tier());
                s.setString(8, b.metadata().map(JsonNode::toString).orElse(null));
                if (b.outputExpiresAfterSeconds().isPresent()) {
                    s.setLong(9, b.outputExpiresAfterSeconds().getAsLong());
                } else {
                    s.setNull(9, Types.BIGINT);
                }
                s.setLong(10, b.times().createdAt());
                s.setLong(11, b.times().expiresAt());
                s.executeUpdate();
            }
            return null;
        });
    }

    /** The tenant's batch; empty for an unknown id or another tenant's. */
    public Optional<Batch> find(String tenant, String id) {
        return database.read(c -> select(c, "tenant = ? AND id = ?", tenant, id).stream().findFirst());
    }

    /** Any tenant's batch, for the runner. */
    public Optional<Batch> find(String id) {
        return database.read(c -> find(c, id));
    }

    static Optional<Batch> find(Connection c, String id) throws SQLException {
        return select(c, "id = ?", id).stream().findFirst();
    }

    /** A page of the tenant's batches, newest first, after the batch {@code after}; and whether more follow. */
    public record Page(List<Batch> data, boolean hasMore) {
    }

    public Page list(String tenant, int limit, Optional<String> after) {
        return database.read(c -> {
            List<Batch> found;
            if (after.isPresent()) {
                Optional<Batch> cursor = select(c, "tenant = ? AND id = ?", tenant, after.get()).stream().findFirst();
                if (cursor.isEmpty()) {
                    return new Page(List.of(), false);
                }
                long t = cursor.get().times().createdAt();
                found = select(c, "tenant = ? AND (created_at < ? OR (created_at = ? AND id < ?)) "
                        + "ORDER BY created_at DESC, id DESC LIMIT " + (limit + 1), tenant, t, t, after.get());
            } else {
                found = select(c, "tenant = ? ORDER BY created_at DESC, id DESC LIMIT " + (limit + 1), tenant);
            }
            boolean more = found.size() > limit;
            return new Page(more ? List.copyOf(found.subList(0, limit)) : found, more);
        });
    }

    /** Batches something still has to happen to: validating, in progress, finalizing, cancelling. */
    public List<Batch> active() {
        return database.read(c -> select(c,
                "status IN ('validating', 'in_progress', 'finalizing', 'cancelling') ORDER BY created_at, id"));
    }

    /**
     * Moves the tenant's batch to {@code cancelling}. A batch already cancelling or cancelled is returned as it is
     * (cancelling twice is harmless, and SDKs retry).
     *
     * @throws WrongStatus when the batch has finished otherwise (completed, failed, expired) or is finalizing
     */
    public Optional<Batch> cancel(String tenant, String id, long now) {
        return database.transaction(c -> {
            Optional<Batch> current = select(c, "tenant = ? AND id = ?", tenant, id).stream().findFirst();
            if (current.isEmpty()) {
                return current;
            }
            Batch.Status status = current.get().status();
            if (status == Batch.Status.CANCELLING || status == Batch.Status.CANCELLED) {
                return current;
            }
            if (status != Batch.Status.VALIDATING && status != Batch.Status.IN_PROGRESS) {
                throw new WrongStatus(current.get());
            }
            try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET status = 'cancelling', "
                    + "cancelling_at = ?, ending = 'cancelled' WHERE id = ? AND status = ?")) {
                s.setLong(1, now);
                s.setString(2, id);
                s.setString(3, status.wire());
                s.executeUpdate();
            }
            return find(c, id);
        });
    }

    /**
     * Claims the batch's whole-batch work (validation, finalization) for {@code owner} until {@code leaseUntil},
     * when it is in {@code status} and nobody else holds a live claim. True when this process won it.
     */
    public boolean claim(String id, Batch.Status status, String owner, long now, long leaseUntil) {
        return database.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET owner = ?, lease_until = ? "
                    + "WHERE id = ? AND status = ? AND (owner IS NULL OR owner = ? OR lease_until < ?)")) {
                s.setString(1, owner);
                s.setLong(2, leaseUntil);
                s.setString(3, id);
                s.setString(4, status.wire());
                s.setString(5, owner);
                s.setLong(6, now);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Extends every whole-batch claim {@code owner} holds. */
    public void renew(Connection c, String owner, long leaseUntil) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET lease_until = ? WHERE owner = ?")) {
            s.setLong(1, leaseUntil);
            s.setString(2, owner);
            s.executeUpdate();
        }
    }

    /** Drops every claim, at the start of the only process using an embedded store: nobody else holds any. */
    public void releaseAllClaims() {
        database.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET owner = NULL, lease_until = NULL "
                    + "WHERE owner IS NOT NULL")) {
                s.executeUpdate();
            }
            lines.releaseAll(c);
            return null;
        });
    }

    /** Validation passed: the batch starts running its {@code total} lines. False when it was cancelled meanwhile. */
    public boolean start(String id, long total, String model, long now) {
        return database.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET status = 'in_progress', "
                    + "in_progress_at = ?, total = ?, model = ?, owner = NULL, lease_until = NULL "
                    + "WHERE id = ? AND status = 'validating'")) {
                s.setLong(1, now);
                s.setLong(2, total);
                s.setString(3, model);
                s.setString(4, id);
                return s.executeUpdate() == 1;
            }
        });
    }

    /** Validation failed: the batch ends {@code failed} with its errors, and its lines are dropped. */
    public void fail(String id, JsonNode errors, long total, long now) {
        database.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET status = 'failed', failed_at = ?, "
                    + "errors = ?, total = ?, owner = NULL, lease_until = NULL WHERE id = ? AND status = 'validating'")) {
                s.setLong(1, now);
                s.setString(2, errors.toString());
                s.setLong(3, total);
                s.setString(4, id);
                s.executeUpdate();
            }
            BatchLines.deleteAll(c, id);
            return null;
        });
    }

    /**
     * Moves the batch to {@code finalizing}, to end as {@code ending}: {@code completed} once every line is answered
     * (only from {@code in_progress}), or {@code expired} once its window passed (from {@code validating} or
     * {@code in_progress}). True when this call made the move.
     */
    public boolean beginFinalizing(String id, Batch.Status ending, long now) {
        boolean expiring = ending == Batch.Status.EXPIRED;
        String condition = expiring ? "status IN ('validating', 'in_progress') AND expires_at <= ?"
                : "status = 'in_progress' AND completed + failed >= total";
        return database.transaction(c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET status = 'finalizing', "
                    + "finalizing_at = ?, ending = ?, owner = NULL, lease_until = NULL WHERE id = ? AND " + condition)) {
                s.setLong(1, now);
                s.setString(2, ending.wire());
                s.setString(3, id);
                if (expiring) {
                    s.setLong(4, now);
                }
                return s.executeUpdate() == 1;
            }
        });
    }

    /** The status a finalizing or cancelling batch ends in. */
    public Batch.Status ending(String id) {
        return database.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT ending, status FROM batches_jobs WHERE id = ?")) {
                s.setString(1, id);
                try (ResultSet r = s.executeQuery()) {
                    if (!r.next()) {
                        return Batch.Status.CANCELLED;
                    }
                    String ending = r.getString(1);
                    return ending != null ? Batch.Status.fromWire(ending)
                            : r.getString(2).equals("cancelling") ? Batch.Status.CANCELLED : Batch.Status.COMPLETED;
                }
            }
        });
    }

    /**
     * Ends a finalizing or cancelling batch in {@code status} with its result files, inside the caller's transaction
     * (which also records the files); drops its lines. False when it had already ended (another process finished it).
     */
    public boolean finish(Connection c, String id, Batch.Status status, Optional<String> outputFileId,
                          Optional<String> errorFileId, long now) throws SQLException {
        String stamp = switch (status) {
            case COMPLETED -> "completed_at";
            case EXPIRED -> "expired_at";
            case CANCELLED -> "cancelled_at";
            default -> throw new IllegalArgumentException("not an end of finalizing: " + status);
        };
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET status = ?, " + stamp + " = ?, "
                + "output_file_id = ?, error_file_id = ?, owner = NULL, lease_until = NULL "
                + "WHERE id = ? AND status IN ('finalizing', 'cancelling')")) {
            s.setString(1, status.wire());
            s.setLong(2, now);
            s.setString(3, outputFileId.orElse(null));
            s.setString(4, errorFileId.orElse(null));
            s.setString(5, id);
            if (s.executeUpdate() == 0) {
                return false;
            }
        }
        BatchLines.deleteAll(c, id);
        return true;
    }

    private static List<Batch> select(Connection c, String where, Object... args) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + JOB_COLUMNS + " FROM batches_jobs WHERE " + where)) {
            for (int i = 0; i < args.length; i++) {
                s.setObject(i + 1, args[i]);
            }
            List<Batch> out = new ArrayList<>();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    out.add(row(r));
                }
            }
            return out;
        }
    }

    private static Batch row(ResultSet r) throws SQLException {
        return new Batch(r.getString(1), r.getString(2), Batch.Status.fromWire(r.getString(3)), r.getString(4),
                r.getString(5), r.getString(6), r.getString(7), Optional.ofNullable(r.getString(8)),
                json(r.getString(9)), json(r.getString(10)), Optional.ofNullable(r.getString(11)),
                Optional.ofNullable(r.getString(12)), optionalLong(r, 13),
                new Batch.Counts(r.getLong(14), r.getLong(15), r.getLong(16)),
                new Batch.Usage(r.getLong(17), r.getLong(18), r.getLong(19), r.getLong(20)),
                new Batch.Times(r.getLong(21), r.getLong(22), optionalLong(r, 23), optionalLong(r, 24),
                        optionalLong(r, 25), optionalLong(r, 26), optionalLong(r, 27), optionalLong(r, 28),
                        optionalLong(r, 29)));
    }

    private static OptionalLong optionalLong(ResultSet r, int column) throws SQLException {
        long v = r.getLong(column);
        return r.wasNull() ? OptionalLong.empty() : OptionalLong.of(v);
    }

    private static Optional<JsonNode> json(String text) {
        if (text == null) {
            return Optional.empty();
        }
        try {
            return Optional.of(Json.MAPPER.readTree(text));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("a stored batch holds JSON that does not parse", e);
        }
    }
}
