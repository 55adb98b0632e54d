package io.fairlane.gateway.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.NoSuchFileException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs as rows, for replicas that share a PostgreSQL server (it works on the embedded database too): a row in
 * {@code blobs} per blob, and its content in {@value #CHUNK_SIZE}-byte rows of {@code blobs_chunks}.
 *
 * <p>Each chunk is inserted in its own short transaction, as the content arrives: a slow upload holds neither a
 * transaction nor a pooled connection between chunks, and memory holds one chunk. The blob's row says
 * {@code complete = 0} until a last transaction fills in its size and SHA-256 and sets it to 1; every read asks
 * for complete rows only, so a blob whose writer died is never seen. Such abandoned rows and their chunks are
 * removed later: when the store opens, and at most hourly while writing, once they have not grown for
 * {@value #ABANDONED_AFTER_MINUTES} minutes (by the database server's clock, which all replicas share) — or at
 * once on the embedded database, whose directory lock rules out any other writer.
 *
 * <p>Reading fetches one chunk per query, each in its own read transaction, so a slow reader holds nothing
 * either; a blob deleted while being read ends in an error at the reader (see {@link VerifyingInputStream}).
 */
final class DatabaseBlobStore implements BlobStore {

    /** Bytes per chunk row: large enough that the per-row overhead is noise, small enough to buffer one. */
    static final int CHUNK_SIZE = 1 << 20;
    static final int ABANDONED_AFTER_MINUTES = 60;
    private static final long SWEEP_EVERY_MILLIS = 3_600_000L;
    private static final Logger LOG = LoggerFactory.getLogger(DatabaseBlobStore.class);

    private final Database database;
    private final Dialect dialect;
    private final AtomicLong lastSweep = new AtomicLong();

    private DatabaseBlobStore(Database database) {
        this.database = database;
        this.dialect = database.dialect();
    }

    /** The store in {@code database}; removes abandoned writes, as the class comment says. */
    static DatabaseBlobStore open(Database database) {
        database.migrate("blobs", List.of(Migration.perDialect(schema(Dialect.SQLITE), schema(Dialect.POSTGRESQL))));
        DatabaseBlobStore store = new DatabaseBlobStore(database);
        store.sweep(database.settings() instanceof StoreSettings.Embedded ? 0 : ABANDONED_AFTER_MINUTES * 60_000L);
        return store;
    }

    private static String schema(Dialect dialect) {
        return """
                CREATE TABLE blobs (
                  id VARCHAR(32) PRIMARY KEY,
                  size BIGINT,
                  sha256 VARCHAR(64),
                  complete INTEGER NOT NULL,
                  written_at BIGINT NOT NULL);
                CREATE INDEX blobs_incomplete ON blobs (complete, written_at);
                CREATE TABLE blobs_chunks (
                  blob_id VARCHAR(32) NOT NULL,
                  seq INTEGER NOT NULL,
                  data %s NOT NULL,
                  PRIMARY KEY (blob_id, seq))""".formatted(dialect.blobType());
    }

    @Override
    public Blob write(Content content) throws IOException {
        long now = System.currentTimeMillis();
        if (now - lastSweep.get() > SWEEP_EVERY_MILLIS) {
            sweep(ABANDONED_AFTER_MINUTES * 60_000L);
        }
        String id = Blob.newId();
        update(c -> {
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO blobs (id, complete, written_at) "
                    + "VALUES (?, 0, " + dialect.nowMillis() + ")")) {
                insert.setString(1, id);
                insert.executeUpdate();
            }
            return null;
        });
        try {
            ChunkWriter chunks = new ChunkWriter(id);
            HashingOutputStream out = new HashingOutputStream(chunks);
            content.writeTo(out);
            String sha256 = out.finish();
            chunks.writeLastChunk();
            long size = out.size();
            return update(c -> {
                try (PreparedStatement complete = c.prepareStatement("UPDATE blobs SET size = ?, sha256 = ?, "
                        + "complete = 1, written_at = " + dialect.nowMillis() + " WHERE id = ? AND complete = 0")) {
                    complete.setLong(1, size);
                    complete.setString(2, sha256);
                    complete.setString(3, id);
                    if (complete.executeUpdate() != 1) {
                        throw new StoreException("blob " + id + " was removed while being written (taken for "
                                + "abandoned after " + ABANDONED_AFTER_MINUTES + " minutes without a chunk?)");
                    }
                }
                return select(c, id).orElseThrow();
            });
        } catch (IOException | RuntimeException | Error e) {
            try {
                update(c -> deleteRows(c, id, false));
            } catch (IOException cleanupFailed) {
                e.addSuppressed(cleanupFailed); // the sweep will remove the rows later
            }
            throw e;
        }
    }

    @Override
    public Optional<Blob> find(String id) throws IOException {
        Blob.checkId(id);
        return query(() -> database.read(c -> select(c, id)));
    }

    @Override
    public InputStream open(String id) throws IOException {
        Blob blob = find(id).orElseThrow(() -> new NoSuchFileException("blob " + id));
        return new VerifyingInputStream(new ChunkReader(blob), blob);
    }

    @Override
    public boolean delete(String id) throws IOException {
        Blob.checkId(id);
        return update(c -> deleteRows(c, id, true));
    }

    @Override
    public List<Blob> list(String afterId, int limit) throws IOException {
        Objects.requireNonNull(afterId, "afterId");
        if (limit < 1) {
            throw new IllegalArgumentException("limit: must be at least 1, was " + limit);
        }
        return query(() -> database.read(c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT id, size, sha256, written_at FROM blobs "
                    + "WHERE complete = 1 AND id > ? ORDER BY id LIMIT ?")) {
                select.setString(1, afterId);
                select.setInt(2, limit);
                List<Blob> page = new ArrayList<>();
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        page.add(blob(rows));
                    }
                }
                return page;
            }
        }));
    }

    @Override
    public String toString() {
        return "DatabaseBlobStore[" + database + "]";
    }

    private static Optional<Blob> select(Connection c, String id) throws SQLException {
        try (PreparedStatement select = c.prepareStatement(
                "SELECT id, size, sha256, written_at FROM blobs WHERE id = ? AND complete = 1")) {
            select.setString(1, id);
            try (ResultSet rows = select.executeQuery()) {
                return rows.next() ? Optional.of(blob(rows)) : Optional.empty();
            }
        }
    }

    private static Blob blob(ResultSet row) throws SQLException {
        return new Blob(row.getString(1), row.getLong(2), row.getString(3), Instant.ofEpochMilli(row.getLong(4)));
    }

    /** Deletes a blob's row and chunks: a complete blob's, or an unfinished one's. True if the row was there. */
    private static boolean deleteRows(Connection c, String id, boolean complete) throws SQLException {
        try (PreparedStatement blob = c.prepareStatement("DELETE FROM blobs WHERE id = ? AND complete = ?")) {
            blob.setString(1, id);
            blob.setInt(2, complete ? 1 : 0);
            if (blob.executeUpdate() == 0) {
                return false;
            }
        }
        try (PreparedStatement chunks = c.prepareStatement("DELETE FROM blobs_chunks WHERE blob_id = ?")) {
            chunks.setString(1, id);
            chunks.executeUpdate();
        }
        return true;
    }

    /** Removes unfinished blobs that have not grown for {@code idleMillis}; logs how many. */
    private void sweep(long idleMillis) {
        lastSweep.set(System.currentTimeMillis());
        try {
            List<String> abandoned = database.read(c -> {
                try (PreparedStatement select = c.prepareStatement("SELECT id FROM blobs WHERE complete = 0 "
                        + "AND written_at <= " + dialect.nowMillis() + " - ?")) {
                    select.setLong(1, idleMillis);
                    List<String> ids = new ArrayList<>();
                    try (ResultSet rows = select.executeQuery()) {
                        while (rows.next()) {
                            ids.add(rows.getString(1));
                        }
                    }
                    return ids;
                }
            });
            for (String id : abandoned) {
                database.transaction(c -> deleteRows(c, id, false));
            }
            if (!abandoned.isEmpty()) {
                LOG.info("durable state: removed {} unfinished blob(s) whose writer stopped", abandoned.size());
            }
        } catch (StoreException e) {
            LOG.warn("durable state: could not remove unfinished blobs; will try again: {}", e.getMessage());
        }
    }

    /** Buffers one chunk of the content and inserts it as a row when full. */
    private final class ChunkWriter extends OutputStream {
        private final String id;
        private final byte[] buffer = new byte[CHUNK_SIZE];
        private int filled;
        private int seq;

        ChunkWriter(String id) {
            this.id = id;
        }

        @Override
        public void write(int b) throws IOException {
            buffer[filled++] = (byte) b;
            if (filled == CHUNK_SIZE) {
                insertChunk();
            }
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            while (length > 0) {
                int n = Math.min(length, CHUNK_SIZE - filled);
                System.arraycopy(bytes, offset, buffer, filled, n);
                filled += n;
                offset += n;
                length -= n;
                if (filled == CHUNK_SIZE) {
                    insertChunk();
                }
            }
        }

        void writeLastChunk() throws IOException {
            if (filled > 0) {
                insertChunk();
            }
        }

        private void insertChunk() throws IOException {
            byte[] data = filled == CHUNK_SIZE ? buffer : java.util.Arrays.copyOf(buffer, filled);
            int chunk = seq;
            update(c -> {
                try (PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO blobs_chunks (blob_id, seq, data) VALUES (?, ?, ?)")) {
                    insert.setString(1, id);
                    insert.setInt(2, chunk);
                    insert.setBytes(3, data);
                    insert.executeUpdate();
                }
                try (PreparedStatement touch = c.prepareStatement("UPDATE blobs SET written_at = "
                        + dialect.nowMillis() + " WHERE id = ?")) {
                    touch.setString(1, id);
                    touch.executeUpdate();
                }
                return null;
            });
            seq++;
            filled = 0;
        }
    }

    /** Fetches a blob's chunks in order, one query each, until its size is read or a chunk is missing. */
    private final class ChunkReader extends InputStream {
        private final Blob blob;
        private byte[] chunk = new byte[0];
        private int position;
        private int seq;
        private long delivered;

        ChunkReader(Blob blob) {
            this.blob = blob;
        }

        @Override
        public int read() throws IOException {
            byte[] one = new byte[1];
            return read(one, 0, 1) == -1 ? -1 : one[0] & 0xff;
        }

        @Override
        public int read(byte[] bytes, int offset, int length) throws IOException {
            Objects.checkFromIndexSize(offset, length, bytes.length);
            if (length == 0) {
                return 0;
            }
            while (position == chunk.length) {
                if (delivered >= blob.size() || !fetchNext()) {
                    return -1;
                }
            }
            int n = Math.min(length, chunk.length - position);
            System.arraycopy(chunk, position, bytes, offset, n);
            position += n;
            delivered += n;
            return n;
        }

        private boolean fetchNext() throws IOException {
            int wanted = seq;
            byte[] next = query(() -> database.read(c -> {
                try (PreparedStatement select = c.prepareStatement(
                        "SELECT data FROM blobs_chunks WHERE blob_id = ? AND seq = ?")) {
                    select.setString(1, blob.id());
                    select.setInt(2, wanted);
                    try (ResultSet rows = select.executeQuery()) {
                        return rows.next() ? rows.getBytes(1) : null;
                    }
                }
            }));
            if (next == null) {
                return false;
            }
            chunk = next;
            position = 0;
            seq++;
            return true;
        }
    }

    private <T> T update(Database.Work<T> work) throws IOException {
        return query(() -> database.transaction(work));
    }

    @FunctionalInterface
    private interface Query<T> {
        T run();
    }

    private static <T> T query(Query<T> query) throws IOException {
        try {
            return query.run();
        } catch (StoreException e) {
            throw new IOException(e.getMessage(), e);
        }
    }
}
