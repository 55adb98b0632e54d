package io.fairlane.gateway.batches;

import io.fairlane.gateway.store.Database;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The lines of batches ({@code batches_lines}): a durable work queue with exactly-once answers.
 *
 * <p>A line is {@code waiting} (0), {@code running} (1: claimed by a process, with a lease) or {@code answered} (2,
 * with its output line). Claiming takes waiting lines in order with {@code FOR UPDATE SKIP LOCKED} on PostgreSQL, so
 * replicas claiming at once get disjoint lines; SQLite's write transactions are exclusive already. A lease that
 * lapses (the claiming process died) puts the line back to waiting, and it runs again.
 *
 * <p>Exactly once: an answer is written only by an update from not-answered to answered, and the batch's counters
 * move by the number of rows that update changed, in the same transaction. A line that ran twice (its first process
 * was presumed dead but was not) therefore keeps the first answer written, and is counted once. Answers are taken
 * only while the batch is in progress, so what its result files say and what its counters say agree.
 *
 * <p>Methods taking a {@link Connection} run inside the caller's transaction, so the runner writes the answers of a
 * round, puts back the lines to retry and claims the next ones in one commit (one fsync on the embedded store).
 */
public final class BatchLines {

    static final int WAITING = 0;
    static final int RUNNING = 1;
    static final int ANSWERED = 2;
    private static final int INSERT_CHUNK = 500;

    /** A line of an input file, validated. */
    public record Line(int lineNo, String customId, String body) {
    }

    /** A line claimed to run. */
    public record Claimed(String batchId, int lineNo, String customId, String body, int attempts, long queuedAt) {
    }

    /** A line's final answer: its output line, whether it goes to the output (true) or error file. */
    public record Answer(String batchId, int lineNo, boolean ok, String outputLine, Batch.Usage usage) {
    }

    /** A line to run again, not before {@code notBefore}; {@code counted} when the failure uses up an attempt. */
    public record Retry(String batchId, int lineNo, long notBefore, boolean counted) {
    }

    private final Database database;

    BatchLines(Database database) {
        this.database = database;
    }

    /** Inserts validated lines, waiting; lines already there (a validation redone after a crash) are kept. */
    public void insert(String batchId, List<Line> lines, long now) {
        for (int from = 0; from < lines.size(); from += INSERT_CHUNK) {
            List<Line> chunk = lines.subList(from, Math.min(lines.size(), from + INSERT_CHUNK));
            database.transaction(c -> {
                try (PreparedStatement s = c.prepareStatement(database.dialect().insertOrIgnore("batches_lines",
                        List.of("batch_id", "line_no"), List.of("custom_id", "body", "state", "queued_at")))) {
                    for (Line l : chunk) {
                        s.setString(1, batchId);
                        s.setInt(2, l.lineNo());
                        s.setString(3, l.customId());
                        s.setString(4, l.body());
                        s.setInt(5, WAITING);
                        s.setLong(6, now);
                        s.addBatch();
                    }
                    s.executeBatch();
                }
                return null;
            });
        }
    }

    /** Claims up to {@code n} waiting lines of the batch whose time has come, in line order. */
    public List<Claimed> claim(Connection c, String batchId, int n, String owner, long now, long leaseUntil)
            throws SQLException {
        List<Claimed> claimed = new ArrayList<>(n);
        try (PreparedStatement s = c.prepareStatement("SELECT line_no, custom_id, body, attempts, queued_at "
                + "FROM batches_lines WHERE batch_id = ? AND state = " + WAITING + " AND not_before <= ? "
                + "ORDER BY line_no LIMIT ?" + database.dialect().forUpdateSkipLocked())) {
            s.setString(1, batchId);
            s.setLong(2, now);
            s.setInt(3, n);
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    claimed.add(new Claimed(batchId, r.getInt(1), r.getString(2), r.getString(3), r.getInt(4),
                            r.getLong(5)));
                }
            }
        }
        if (claimed.isEmpty()) {
            return claimed;
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_lines SET state = " + RUNNING + ", owner = ?, "
                + "lease_until = ? WHERE batch_id = ? AND line_no = ?")) {
            for (Claimed l : claimed) {
                s.setString(1, owner);
                s.setLong(2, leaseUntil);
                s.setString(3, batchId);
                s.setInt(4, l.lineNo());
                s.addBatch();
            }
            s.executeBatch();
        }
        return claimed;
    }

    /**
     * Writes answers (each only if the line was not answered yet) and moves their batches' counters and usage by what
     * was actually written. Returns the batches that got at least one answer.
     */
    public List<String> answer(Connection c, List<Answer> answers) throws SQLException {
        if (answers.isEmpty()) {
            return List.of();
        }
        int[] changed;
        // Only while the batch is in progress: once it is finalizing, cancelling or gone, its result files are being
        // (or were) written from the answers already there, and a late answer must not count without appearing.
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_lines SET state = " + ANSWERED + ", ok = ?, "
                + "result = ?, owner = NULL, lease_until = NULL WHERE batch_id = ? AND line_no = ? AND state <> "
                + ANSWERED + " AND batch_id IN (SELECT id FROM batches_jobs WHERE status = 'in_progress')")) {
            for (Answer a : answers) {
                s.setInt(1, a.ok() ? 1 : 0);
                s.setString(2, a.outputLine());
                s.setString(3, a.batchId());
                s.setInt(4, a.lineNo());
                s.addBatch();
            }
            changed = s.executeBatch();
        }
        Map<String, long[]> deltas = new HashMap<>();
        for (int i = 0; i < answers.size(); i++) {
            if (changed[i] == 0) {
                continue; // answered already, by an earlier run of the same line
            }
            Answer a = answers.get(i);
            long[] d = deltas.computeIfAbsent(a.batchId(), k -> new long[6]);
            d[a.ok() ? 0 : 1]++;
            d[2] += a.usage().inputTokens();
            d[3] += a.usage().cachedTokens();
            d[4] += a.usage().outputTokens();
            d[5] += a.usage().reasoningTokens();
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_jobs SET completed = completed + ?, "
                + "failed = failed + ?, input_tokens = input_tokens + ?, cached_tokens = cached_tokens + ?, "
                + "output_tokens = output_tokens + ?, reasoning_tokens = reasoning_tokens + ? WHERE id = ?")) {
            for (Map.Entry<String, long[]> e : deltas.entrySet()) {
                for (int i = 0; i < 6; i++) {
                    s.setLong(i + 1, e.getValue()[i]);
                }
                s.setString(7, e.getKey());
                s.addBatch();
            }
            s.executeBatch();
        }
        return List.copyOf(deltas.keySet());
    }

    /** Puts lines this process ran back to waiting, to run again after their pause. */
    public void retry(Connection c, List<Retry> retries, String owner) throws SQLException {
        if (retries.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_lines SET state = " + WAITING + ", owner = NULL, "
                + "lease_until = NULL, not_before = ?, queued_at = ?, attempts = attempts + ? "
                + "WHERE batch_id = ? AND line_no = ? AND state = " + RUNNING + " AND owner = ?")) {
            for (Retry r : retries) {
                s.setLong(1, r.notBefore());
                s.setLong(2, r.notBefore());
                s.setInt(3, r.counted() ? 1 : 0);
                s.setString(4, r.batchId());
                s.setInt(5, r.lineNo());
                s.setString(6, owner);
                s.addBatch();
            }
            s.executeBatch();
        }
    }

    /** Extends the leases of every line {@code owner} is running. */
    public void renew(Connection c, String owner, long leaseUntil) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_lines SET lease_until = ? "
                + "WHERE owner = ? AND state = " + RUNNING)) {
            s.setLong(1, leaseUntil);
            s.setString(2, owner);
            s.executeUpdate();
        }
    }

    /** Puts the batch's running lines whose lease lapsed back to waiting; returns how many. */
    public int reap(Connection c, String batchId, long now) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_lines SET state = " + WAITING + ", owner = NULL, "
                + "lease_until = NULL WHERE batch_id = ? AND state = " + RUNNING + " AND lease_until < ?")) {
            s.setString(1, batchId);
            s.setLong(2, now);
            return s.executeUpdate();
        }
    }

    /** Puts every running line back to waiting: at the start of the only process on an embedded store. */
    void releaseAll(Connection c) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("UPDATE batches_lines SET state = " + WAITING + ", owner = NULL, "
                + "lease_until = NULL WHERE state = " + RUNNING)) {
            s.executeUpdate();
        }
    }

    static void deleteAll(Connection c, String batchId) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM batches_lines WHERE batch_id = ?")) {
            s.setString(1, batchId);
            s.executeUpdate();
        }
    }

    /** A line for the result files: its number, custom id, whether it succeeded, its output line (null: never ran). */
    public record Result(int lineNo, String customId, boolean ok, String outputLine) {
    }

    /** Up to {@code limit} lines after {@code afterLine}, in order, answered or not. */
    public List<Result> results(String batchId, int afterLine, int limit) {
        return database.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT line_no, custom_id, ok, result FROM batches_lines "
                    + "WHERE batch_id = ? AND line_no > ? ORDER BY line_no LIMIT ?")) {
                s.setString(1, batchId);
                s.setInt(2, afterLine);
                s.setInt(3, limit);
                List<Result> out = new ArrayList<>(limit);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(new Result(r.getInt(1), r.getString(2), r.getInt(3) == 1, r.getString(4)));
                    }
                }
                return out;
            }
        });
    }
}
