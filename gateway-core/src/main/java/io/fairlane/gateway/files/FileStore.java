package io.fairlane.gateway.files;

import io.fairlane.gateway.store.Blob;
import io.fairlane.gateway.store.BlobStore;
import io.fairlane.gateway.store.Database;
import io.fairlane.gateway.store.Migration;
import java.io.IOException;
import java.io.InputStream;
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
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Files in durable state: a row per file ({@code files_objects}) pointing at a blob with its bytes, and a running
 * total per tenant ({@code files_usage}) that the storage quota is checked against.
 *
 * <p>Every query names the tenant: a file id of another tenant finds nothing, exactly like an id that never existed,
 * so nothing tells one from the other.
 *
 * <p>Order of writes, for crash safety: the blob is written (and durable) before the row that refers to it; a row is
 * deleted before its blob. A crash in between leaves a blob no row refers to, never a row without its content. The
 * quota is charged in the same transaction that inserts the row, by an update that only succeeds while the total
 * stays within the quota, so concurrent uploads on any number of replicas cannot overrun it.
 *
 * <p>Every method blocks: call from a virtual thread. Thread-safe.
 */
public final class FileStore {

    private static final Logger LOG = LoggerFactory.getLogger(FileStore.class);
    private static final String COLUMNS = "id, tenant, filename, purpose, bytes, created_at, expires_at, blob_id";
    private static final List<Migration> SCHEMA = List.of(Migration.sql("""
            CREATE TABLE files_objects (
              id VARCHAR(64) PRIMARY KEY,
              tenant VARCHAR(128) NOT NULL,
              filename VARCHAR(1024) NOT NULL,
              purpose VARCHAR(32) NOT NULL,
              bytes BIGINT NOT NULL,
              created_at BIGINT NOT NULL,
              expires_at BIGINT,
              blob_id VARCHAR(32) NOT NULL);
            CREATE INDEX files_objects_by_tenant ON files_objects (tenant, created_at, id);
            CREATE INDEX files_objects_by_expiry ON files_objects (expires_at);
            CREATE TABLE files_usage (
              tenant VARCHAR(128) PRIMARY KEY,
              bytes BIGINT NOT NULL)"""));

    /** The tenant's stored files would exceed its quota. */
    public static final class QuotaExceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;
        private final long used;

        QuotaExceeded(long used) {
            super("storage quota exceeded", null, false, false);
            this.used = used;
        }

        /** Bytes the tenant's files take already. */
        public long used() {
            return used;
        }
    }

    /** A page of a listing, and whether more follow. */
    public record Page(List<FileObject> data, boolean hasMore) {
    }

    private final Database database;
    private final BlobStore blobs;

    private FileStore(Database database) {
        this.database = database;
        this.blobs = database.blobs();
    }

    /** The store on {@code database}, its tables created or brought up to date. */
    public static FileStore open(Database database) {
        Objects.requireNonNull(database, "database");
        database.migrate("files", SCHEMA);
        return new FileStore(database);
    }

    public Database database() {
        return database;
    }

    public BlobStore blobs() {
        return blobs;
    }

    /** Bytes the tenant's files take. */
    public long usage(String tenant) {
        return database.read(c -> {
            try (PreparedStatement s = c.prepareStatement("SELECT bytes FROM files_usage WHERE tenant = ?")) {
                s.setString(1, tenant);
                try (ResultSet r = s.executeQuery()) {
                    return r.next() ? r.getLong(1) : 0L;
                }
            }
        });
    }

    /**
     * Records a stored blob as a file of {@code tenant}. With a {@code quota} (bytes, or negative for none) the file
     * is only recorded while the tenant's files stay within it.
     *
     * @throws QuotaExceeded when it would not; the blob is then the caller's to delete
     */
    public FileObject record(String tenant, Blob blob, String filename, String purpose, OptionalLong expiresAtMillis,
                             long quota) {
        FileObject file = new FileObject(Ids.random("file-"), tenant, filename, purpose, blob.size(),
                System.currentTimeMillis(), expiresAtMillis, blob.id());
        database.transaction(c -> {
            charge(c, tenant, blob.size(), quota);
            insert(c, file);
            return null;
        });
        return file;
    }

    /**
     * Inserts {@code file} and charges its size, inside the caller's transaction, with no quota: for results a
     * batch writes, which must not be lost to a full quota.
     */
    public void recordIn(Connection c, FileObject file) throws SQLException {
        charge(c, file.tenant(), file.bytes(), -1);
        insert(c, file);
    }

    private void charge(Connection c, String tenant, long bytes, long quota) throws SQLException {
        try (PreparedStatement s = c.prepareStatement(database.dialect().insertOrIgnore("files_usage", List.of("tenant"),
                List.of("bytes")))) {
            s.setString(1, tenant);
            s.setLong(2, 0);
            s.executeUpdate();
        }
        String sql = quota < 0 ? "UPDATE files_usage SET bytes = bytes + ? WHERE tenant = ?"
                : "UPDATE files_usage SET bytes = bytes + ? WHERE tenant = ? AND bytes + ? <= ?";
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setLong(1, bytes);
            s.setString(2, tenant);
            if (quota >= 0) {
                s.setLong(3, bytes);
                s.setLong(4, quota);
            }
            if (s.executeUpdate() == 0) {
                throw new QuotaExceeded(usage(c, tenant));
            }
        }
    }

    private static long usage(Connection c, String tenant) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT bytes FROM files_usage WHERE tenant = ?")) {
            s.setString(1, tenant);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? r.getLong(1) : 0L;
            }
        }
    }

    private static void insert(Connection c, FileObject f) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO files_objects (" + COLUMNS
                + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?)")) {
            s.setString(1, f.id());
            s.setString(2, f.tenant());
            s.setString(3, f.filename());
            s.setString(4, f.purpose());
            s.setLong(5, f.bytes());
            s.setLong(6, f.createdAtMillis());
            if (f.expiresAtMillis().isPresent()) {
                s.setLong(7, f.expiresAtMillis().getAsLong());
            } else {
                s.setNull(7, Types.BIGINT);
            }
            s.setString(8, f.blobId());
            s.executeUpdate();
        }
    }

    /** The tenant's file with this id; empty for an unknown id or another tenant's. */
    public Optional<FileObject> find(String tenant, String id) {
        return database.read(c -> find(c, tenant, id));
    }

    /** {@link #find} inside the caller's transaction. */
    public static Optional<FileObject> find(Connection c, String tenant, String id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
                + " FROM files_objects WHERE tenant = ? AND id = ?")) {
            s.setString(1, tenant);
            s.setString(2, id);
            try (ResultSet r = s.executeQuery()) {
                return r.next() ? Optional.of(row(r)) : Optional.empty();
            }
        }
    }

    /**
     * A page of the tenant's files, newest first unless {@code ascending}, optionally of one purpose, starting after
     * the file {@code after} (an id from an earlier page; an unknown one gives an empty page).
     */
    public Page list(String tenant, Optional<String> purpose, int limit, Optional<String> after, boolean ascending) {
        return database.read(c -> {
            Long cursorTime = null;
            String cursorId = null;
            if (after.isPresent()) {
                Optional<FileObject> cursor = find(c, tenant, after.get());
                if (cursor.isEmpty()) {
                    return new Page(List.of(), false);
                }
                cursorTime = cursor.get().createdAtMillis();
                cursorId = cursor.get().id();
            }
            String cmp = ascending ? ">" : "<";
            String dir = ascending ? "ASC" : "DESC";
            StringBuilder sql = new StringBuilder("SELECT " + COLUMNS + " FROM files_objects WHERE tenant = ?");
            if (purpose.isPresent()) {
                sql.append(" AND purpose = ?");
            }
            if (cursorTime != null) {
                sql.append(" AND (created_at ").append(cmp).append(" ? OR (created_at = ? AND id ").append(cmp)
                        .append(" ?))");
            }
            sql.append(" ORDER BY created_at ").append(dir).append(", id ").append(dir).append(" LIMIT ?");
            try (PreparedStatement s = c.prepareStatement(sql.toString())) {
                int i = 1;
                s.setString(i++, tenant);
                if (purpose.isPresent()) {
                    s.setString(i++, purpose.get());
                }
                if (cursorTime != null) {
                    s.setLong(i++, cursorTime);
                    s.setLong(i++, cursorTime);
                    s.setString(i++, cursorId);
                }
                s.setInt(i, limit + 1);
                List<FileObject> out = new ArrayList<>();
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        out.add(row(r));
                    }
                }
                boolean more = out.size() > limit;
                return new Page(more ? List.copyOf(out.subList(0, limit)) : List.copyOf(out), more);
            }
        });
    }

    /** Deletes the tenant's file (row, then content); empty when there was none. */
    public Optional<FileObject> delete(String tenant, String id) throws IOException {
        Optional<FileObject> deleted = database.transaction(c -> {
            Optional<FileObject> f = find(c, tenant, id);
            if (f.isPresent()) {
                deleteRow(c, f.get());
            }
            return f;
        });
        if (deleted.isPresent()) {
            blobs.delete(deleted.get().blobId());
        }
        return deleted;
    }

    private static void deleteRow(Connection c, FileObject f) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("DELETE FROM files_objects WHERE tenant = ? AND id = ?")) {
            s.setString(1, f.tenant());
            s.setString(2, f.id());
            if (s.executeUpdate() == 0) {
                return;
            }
        }
        try (PreparedStatement s = c.prepareStatement("UPDATE files_usage SET bytes = bytes - ? WHERE tenant = ?")) {
            s.setLong(1, f.bytes());
            s.setString(2, f.tenant());
            s.executeUpdate();
        }
    }

    /** The content of a file, checked against its SHA-256 as it is read to the end. */
    public InputStream open(FileObject file) throws IOException {
        return blobs.open(file.blobId());
    }

    /** Deletes files whose expiry has passed; returns how many. */
    public int deleteExpired(long nowMillis) throws IOException {
        List<FileObject> expired = database.transaction(c -> {
            List<FileObject> found = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT " + COLUMNS
                    + " FROM files_objects WHERE expires_at IS NOT NULL AND expires_at <= ? LIMIT 1000")) {
                s.setLong(1, nowMillis);
                try (ResultSet r = s.executeQuery()) {
                    while (r.next()) {
                        found.add(row(r));
                    }
                }
            }
            for (FileObject f : found) {
                deleteRow(c, f);
            }
            return found;
        });
        for (FileObject f : expired) {
            try {
                blobs.delete(f.blobId());
            } catch (IOException e) {
                LOG.warn("deleting the content of expired file {} failed; its blob {} is left behind", f.id(),
                        f.blobId(), e);
            }
        }
        return expired.size();
    }

    private static FileObject row(ResultSet r) throws SQLException {
        long expires = r.getLong(7);
        OptionalLong expiresAt = r.wasNull() ? OptionalLong.empty() : OptionalLong.of(expires);
        return new FileObject(r.getString(1), r.getString(2), r.getString(3), r.getString(4), r.getLong(5),
                r.getLong(6), expiresAt, r.getString(8));
    }
}
