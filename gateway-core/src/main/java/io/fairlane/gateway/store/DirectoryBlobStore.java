package io.fairlane.gateway.store;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Blobs as plain files, the embedded default: {@code <directory>/<first two hex digits>/<id>} holds exactly the
 * content, and a row in the embedded database ({@code blob_files}) holds its size and SHA-256.
 *
 * <p>Writing: the content goes to {@code tmp/<id>.part}, is forced to disk, renamed into place in one atomic
 * step, the directory entry is forced to disk, and then the row is committed. The row is the moment the blob
 * exists; everything before it is invisible. A crash leaves at most a {@code .part} file or a file without a
 * row, and both are removed when the store opens — safe then, because the database's directory lock means no
 * other process is writing here. Deleting removes the row first, then the file.
 *
 * <p>Files rather than SQLite rows for the bytes: the content streams straight to disk without a transaction held
 * open for a slow upload (SQLite has one writer for the whole database), and an operator can read a blob with
 * {@code cat}.
 */
final class DirectoryBlobStore implements BlobStore {

    private static final Logger LOG = LoggerFactory.getLogger(DirectoryBlobStore.class);
    private static final Pattern ID = Pattern.compile("[0-9a-f]{32}");
    private static final int BUFFER = 64 * 1024;
    private static final List<Migration> SCHEMA = List.of(Migration.sql("""
            CREATE TABLE blob_files (
              id VARCHAR(32) PRIMARY KEY,
              size BIGINT NOT NULL,
              sha256 VARCHAR(64) NOT NULL,
              created_at BIGINT NOT NULL)"""));

    private final Database database;
    private final Path root;
    private final Path tmp;

    private DirectoryBlobStore(Database database, Path root) {
        this.database = database;
        this.root = root;
        this.tmp = root.resolve("tmp");
    }

    /**
     * The store in {@code directory}, described by rows in {@code database}, which must be the embedded one: a
     * directory belongs to one process. Removes the leftovers of a crash, so: once per process and directory.
     */
    static DirectoryBlobStore open(Database database, Path directory) {
        if (!(database.settings() instanceof StoreSettings.Embedded)) {
            throw new IllegalArgumentException("a blob directory goes with the embedded database; with PostgreSQL "
                    + "the replicas share blobs as rows in the database (Database.blobs() picks them)");
        }
        database.migrate("blob_files", SCHEMA);
        DirectoryBlobStore store = new DirectoryBlobStore(database, directory);
        try {
            Files.createDirectories(store.tmp);
            store.removeLeftovers();
        } catch (IOException e) {
            throw new StoreException("cannot prepare the blob directory " + directory + ": " + e.getMessage(), e);
        }
        return store;
    }

    @Override
    public Blob write(Content content) throws IOException {
        String id = Blob.newId();
        Path part = tmp.resolve(id + ".part");
        long size;
        String sha256;
        try (FileChannel channel = FileChannel.open(part, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            HashingOutputStream out = new HashingOutputStream(
                    new BufferedOutputStream(Channels.newOutputStream(channel), BUFFER));
            content.writeTo(out);
            sha256 = out.finish();
            size = out.size();
            channel.force(true);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(part);
            throw e;
        }
        Path file = fileOf(id);
        try {
            Path shard = file.getParent();
            if (!Files.isDirectory(shard)) {
                Files.createDirectories(shard);
                forceDirectory(root);
            }
            Files.move(part, file, StandardCopyOption.ATOMIC_MOVE);
            forceDirectory(shard);
            Blob blob = new Blob(id, size, sha256, Instant.ofEpochMilli(System.currentTimeMillis()));
            database.transaction(c -> {
                try (PreparedStatement insert = c.prepareStatement(
                        "INSERT INTO blob_files (id, size, sha256, created_at) VALUES (?, ?, ?, ?)")) {
                    insert.setString(1, id);
                    insert.setLong(2, size);
                    insert.setString(3, sha256);
                    insert.setLong(4, blob.createdAt().toEpochMilli());
                    insert.executeUpdate();
                }
                return null;
            });
            return blob;
        } catch (StoreException e) {
            Files.deleteIfExists(file);
            throw new IOException("cannot record blob " + id + ": " + e.getMessage(), e);
        } catch (IOException | RuntimeException | Error e) {
            Files.deleteIfExists(part);
            Files.deleteIfExists(file);
            throw e;
        }
    }

    @Override
    public Optional<Blob> find(String id) throws IOException {
        Blob.checkId(id);
        return query(() -> database.read(c -> {
            try (PreparedStatement select = c.prepareStatement(
                    "SELECT id, size, sha256, created_at FROM blob_files WHERE id = ?")) {
                select.setString(1, id);
                try (ResultSet rows = select.executeQuery()) {
                    return rows.next() ? Optional.of(blob(rows)) : Optional.empty();
                }
            }
        }));
    }

    @Override
    public InputStream open(String id) throws IOException {
        Blob blob = find(id).orElseThrow(() -> new NoSuchFileException("blob " + id));
        InputStream in;
        try {
            in = Files.newInputStream(fileOf(id));
        } catch (NoSuchFileException e) {
            // Deleted between the row lookup and here, or lost: either way not a blob to serve.
            throw new NoSuchFileException("blob " + id + " (its file " + fileOf(id) + " is gone)");
        }
        return new VerifyingInputStream(in, blob);
    }

    @Override
    public boolean delete(String id) throws IOException {
        Blob.checkId(id);
        int deleted = query(() -> database.transaction(c -> {
            try (PreparedStatement delete = c.prepareStatement("DELETE FROM blob_files WHERE id = ?")) {
                delete.setString(1, id);
                return delete.executeUpdate();
            }
        }));
        Files.deleteIfExists(fileOf(id));
        return deleted > 0;
    }

    @Override
    public List<Blob> list(String afterId, int limit) throws IOException {
        java.util.Objects.requireNonNull(afterId, "afterId");
        if (limit < 1) {
            throw new IllegalArgumentException("limit: must be at least 1, was " + limit);
        }
        return query(() -> database.read(c -> {
            try (PreparedStatement select = c.prepareStatement("SELECT id, size, sha256, created_at FROM blob_files "
                    + "WHERE id > ? ORDER BY id LIMIT ?")) {
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
        return "DirectoryBlobStore[" + root + "]";
    }

    private Path fileOf(String id) {
        return root.resolve(id.substring(0, 2)).resolve(id);
    }

    private static Blob blob(ResultSet row) throws SQLException {
        return new Blob(row.getString(1), row.getLong(2), row.getString(3), Instant.ofEpochMilli(row.getLong(4)));
    }

    /** Removes what a crash left: temporary files, and files whose row was never committed. */
    private void removeLeftovers() throws IOException {
        int removed = 0;
        try (DirectoryStream<Path> parts = Files.newDirectoryStream(tmp)) {
            for (Path part : parts) {
                Files.deleteIfExists(part);
                removed++;
            }
        }
        try (DirectoryStream<Path> shards = Files.newDirectoryStream(root, p -> Files.isDirectory(p)
                && p.getFileName().toString().matches("[0-9a-f]{2}"))) {
            for (Path shard : shards) {
                try (DirectoryStream<Path> files = Files.newDirectoryStream(shard)) {
                    for (Path file : files) {
                        String name = file.getFileName().toString();
                        if (ID.matcher(name).matches() && find(name).isEmpty()) {
                            Files.deleteIfExists(file);
                            removed++;
                        }
                    }
                }
            }
        }
        if (removed > 0) {
            LOG.info("durable state: removed {} unfinished blob file(s) from {}", removed, root);
        }
    }

    /** Forces a directory's entries (a rename, a new subdirectory) to disk. */
    private static void forceDirectory(Path directory) throws IOException {
        try (FileChannel channel = FileChannel.open(directory, StandardOpenOption.READ)) {
            channel.force(true);
        }
    }

    /** A database call from a method that reports failures as IOException. */
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
