package io.fairlane.gateway.store;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The few places where the SQL a feature writes must differ between SQLite and PostgreSQL, plus the two
 * {@code INSERT ... ON CONFLICT} forms every store needs. Everything else — {@code CREATE TABLE}, {@code BIGINT},
 * {@code VARCHAR}, {@code LIMIT}, {@code RETURNING} — is written once in the subset both accept, so this stays
 * small on purpose: a feature that needs a new difference adds it here, with a test against both servers, rather
 * than growing a query builder.
 *
 * <p>Timestamps are epoch milliseconds in {@code BIGINT} columns in both dialects: comparable, sortable, and
 * free of the two databases' different date types and time-zone rules.
 */
public enum Dialect {

    /** SQLite, the embedded store. One writer at a time; {@code BEGIN IMMEDIATE} already excludes the others. */
    SQLITE {
        @Override
        public String blobType() {
            return "BLOB";
        }

        @Override
        public String nowMillis() {
            return "CAST(unixepoch('subsec') * 1000 AS INTEGER)";
        }

        @Override
        public boolean supportsSkipLocked() {
            return false;
        }
    },

    /** PostgreSQL, shared by replicas. Row locks, so workers on several replicas can claim disjoint rows. */
    POSTGRESQL {
        @Override
        public String blobType() {
            return "BYTEA";
        }

        @Override
        public String nowMillis() {
            return "CAST(EXTRACT(EPOCH FROM clock_timestamp()) * 1000 AS BIGINT)";
        }

        @Override
        public boolean supportsSkipLocked() {
            return true;
        }
    };

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]*");

    /** The column type for binary values ({@code byte[]} through {@code setBytes}/{@code getBytes}). */
    public abstract String blobType();

    /** An SQL expression for the database server's current time in epoch milliseconds, as a {@code BIGINT}. */
    public abstract String nowMillis();

    /**
     * Whether {@code SELECT ... FOR UPDATE SKIP LOCKED} exists: true on PostgreSQL, where replicas claim work by
     * locking rows; false on SQLite, which has no row locks and needs none (every write transaction is exclusive).
     */
    public abstract boolean supportsSkipLocked();

    /**
     * What to append to a {@code SELECT} that claims rows for this transaction: {@code " FOR UPDATE SKIP LOCKED"}
     * where the dialect has it, else nothing (the transaction is exclusive already).
     */
    public String forUpdateSkipLocked() {
        return supportsSkipLocked() ? " FOR UPDATE SKIP LOCKED" : "";
    }

    /**
     * An insert-or-update statement with one {@code ?} per column, keys first then values, in the order given:
     * {@code INSERT INTO t (k.., v..) VALUES (?..) ON CONFLICT (k..) DO UPDATE SET v = excluded.v, ...}.
     *
     * @param table        the table, a lower-case SQL identifier
     * @param keyColumns   the columns of its primary key or of a unique constraint, at least one
     * @param valueColumns the other columns, overwritten when the key exists; at least one
     */
    public String upsert(String table, List<String> keyColumns, List<String> valueColumns) {
        if (Objects.requireNonNull(valueColumns, "valueColumns").isEmpty()) {
            throw new IllegalArgumentException("valueColumns: an upsert needs a column to update; "
                    + "use insertOrIgnore to keep existing rows");
        }
        StringBuilder sql = insertOnConflict(table, keyColumns, valueColumns).append("UPDATE SET ");
        for (int i = 0; i < valueColumns.size(); i++) {
            String column = valueColumns.get(i);
            sql.append(i == 0 ? "" : ", ").append(column).append(" = excluded.").append(column);
        }
        return sql.toString();
    }

    /**
     * An insert that leaves an existing row with the same key alone (and inserts nothing), one {@code ?} per
     * column, keys first: {@code INSERT INTO t (k.., o..) VALUES (?..) ON CONFLICT (k..) DO NOTHING}. Its update
     * count says whether the row was new — how a retried or re-run write (a batch line after a crash) is
     * recorded exactly once.
     *
     * @param table        the table, a lower-case SQL identifier
     * @param keyColumns   the columns of its primary key or of a unique constraint, at least one
     * @param otherColumns the other columns to fill in; may be empty
     */
    public String insertOrIgnore(String table, List<String> keyColumns, List<String> otherColumns) {
        return insertOnConflict(table, keyColumns, otherColumns).append("NOTHING").toString();
    }

    private static StringBuilder insertOnConflict(String table, List<String> keyColumns, List<String> others) {
        identifier(table, "table");
        Objects.requireNonNull(keyColumns, "keyColumns");
        Objects.requireNonNull(others, "columns");
        if (keyColumns.isEmpty()) {
            throw new IllegalArgumentException("keyColumns: at least one key column is needed for " + table);
        }
        keyColumns.forEach(c -> identifier(c, "keyColumns"));
        others.forEach(c -> identifier(c, "columns"));
        List<String> all = new ArrayList<>(keyColumns);
        all.addAll(others);
        return new StringBuilder("INSERT INTO ").append(table).append(" (").append(String.join(", ", all))
                .append(") VALUES (").append(String.join(", ", Collections.nCopies(all.size(), "?")))
                .append(") ON CONFLICT (").append(String.join(", ", keyColumns)).append(") DO ");
    }

    private static void identifier(String name, String what) {
        Objects.requireNonNull(name, what);
        if (!IDENTIFIER.matcher(name).matches()) {
            throw new IllegalArgumentException(what + ": '" + name + "' is not a lower-case SQL identifier");
        }
    }
}
