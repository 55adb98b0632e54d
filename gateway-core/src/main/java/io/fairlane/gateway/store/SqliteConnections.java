package io.fairlane.gateway.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.locks.ReentrantLock;
import org.sqlite.SQLiteConfig;
import org.sqlite.SQLiteDataSource;

/**
 * The embedded database: one SQLite file in WAL mode, written by one connection at a time and read by a small
 * pool beside it.
 *
 * <p>SQLite allows a single writer. Rather than let writers collide and sleep in SQLite's busy handler (native
 * code, which would hold a virtual thread's carrier), writers queue on a fair Java lock for the one writer
 * connection, and start with {@code BEGIN IMMEDIATE} so that a transaction never has to upgrade from reading to
 * writing halfway. The busy timeout stays short: it only matters when another process (a backup, the
 * {@code sqlite3} shell) holds the file, and then {@link Database}'s retries take over.
 *
 * <p>{@code synchronous=FULL}: every commit reaches the disk before it returns, so a committed row survives a
 * power cut, not only a killed process. Transactions that ask to defer the sync run at {@code synchronous=NORMAL}:
 * in WAL mode their commit is written to the log (the operating system holds it, so a killed process loses nothing)
 * and reaches the disk with the next full commit or checkpoint. Transactions are begun and ended with explicit statements rather than
 * through {@code setAutoCommit(false)}, because the driver's {@code commit()} immediately begins the next
 * transaction, and a failure there would look like a failed commit of one that had succeeded.
 *
 * <p>The directory holds a lock file, held while the database is open, so that a second process (or a second
 * {@link Database} in this one) cannot open the same store: the blob directory's clean-up at start relies on
 * there being no other writer.
 */
final class SqliteConnections implements Connections {

    /** How long SQLite itself waits for a lock another process holds, before {@link Database} retries. */
    static final int BUSY_TIMEOUT_MS = 200;
    private static final int READERS = 4;
    private static final int SQLITE_BUSY = 5;
    private static final int SQLITE_LOCKED = 6;

    private final Path file;
    private final FileChannel lockChannel;
    private final FileLock lock;
    private final ReentrantLock writeLock = new ReentrantLock(true);
    private final Connection writer; // used only while writeLock is held
    private final HikariDataSource readers;

    private SqliteConnections(Path file, FileChannel lockChannel, FileLock lock, Connection writer,
                              HikariDataSource readers) {
        this.file = file;
        this.lockChannel = lockChannel;
        this.lock = lock;
        this.writer = writer;
        this.readers = readers;
    }

    static SqliteConnections open(Path directory) {
        FileChannel lockChannel = null;
        FileLock lock = null;
        Connection writer = null;
        try {
            Files.createDirectories(directory);
            lockChannel = FileChannel.open(directory.resolve("fairlane.lock"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE);
            try {
                lock = lockChannel.tryLock();
            } catch (OverlappingFileLockException inThisProcess) {
                lock = null;
            }
            if (lock == null) {
                throw new StoreException("storage directory " + directory + " is in use by another Fairlane process "
                        + "(or another store in this one): it holds " + directory.resolve("fairlane.lock"));
            }
            Path file = directory.resolve("fairlane.db");
            String url = "jdbc:sqlite:" + file;
            SQLiteConfig config = new SQLiteConfig();
            config.setJournalMode(SQLiteConfig.JournalMode.WAL);
            config.setSynchronous(SQLiteConfig.SynchronousMode.FULL);
            config.setBusyTimeout(BUSY_TIMEOUT_MS);
            config.enforceForeignKeys(true);
            writer = config.createConnection(url);

            HikariConfig pool = new HikariConfig();
            SQLiteDataSource source = new SQLiteDataSource(config);
            source.setUrl(url);
            pool.setDataSource(source);
            pool.setPoolName("fairlane-store-readers");
            pool.setMaximumPoolSize(READERS);
            pool.setMinimumIdle(1);
            pool.setConnectionInitSql("PRAGMA query_only = ON");
            HikariDataSource readers = new HikariDataSource(pool);
            return new SqliteConnections(file, lockChannel, lock, writer, readers);
        } catch (IOException | SQLException | RuntimeException e) {
            closeQuietly(writer);
            if (lockChannel != null) {
                try {
                    lockChannel.close(); // releases the lock too
                } catch (IOException ignored) {
                    // nothing more to release
                }
            }
            if (e instanceof StoreException store) {
                throw store;
            }
            throw new StoreException("cannot open the embedded store in " + directory + ": " + e.getMessage(), e);
        }
    }

    @Override
    public Dialect dialect() {
        return Dialect.SQLITE;
    }

    @Override
    public <T> T write(Database.Work<T> work, boolean deferSync) throws SQLException {
        try {
            writeLock.lockInterruptibly();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new StoreException("interrupted while waiting for the embedded store's writer", e);
        }
        try {
            if (!deferSync) {
                return inTransaction(writer, "BEGIN IMMEDIATE", work);
            }
            // The setting belongs to the connection, outside any transaction: lowered for this one, then restored.
            execute(writer, "PRAGMA synchronous = NORMAL");
            try {
                return inTransaction(writer, "BEGIN IMMEDIATE", work);
            } finally {
                execute(writer, "PRAGMA synchronous = FULL");
            }
        } finally {
            writeLock.unlock();
        }
    }

    @Override
    public <T> T read(Database.Work<T> work) throws SQLException {
        try (Connection reader = readers.getConnection()) {
            return inTransaction(reader, "BEGIN", work);
        }
    }

    private static <T> T inTransaction(Connection connection, String begin, Database.Work<T> work)
            throws SQLException {
        execute(connection, begin);
        try {
            T result = work.run(Connections.guard(connection));
            execute(connection, "COMMIT");
            return result;
        } catch (Throwable failure) {
            try {
                execute(connection, "ROLLBACK");
            } catch (SQLException noTransaction) {
                // Some errors (I/O, disk full) end the transaction themselves; there is nothing to roll back.
                if (connection.isClosed()) {
                    failure.addSuppressed(noTransaction);
                }
            }
            throw failure;
        }
    }

    private static void execute(Connection connection, String sql) throws SQLException {
        try (Statement statement = connection.createStatement()) {
            statement.execute(sql);
        }
    }

    @Override
    public boolean isRetryable(SQLException e) {
        return Connections.anyInChain(e, s -> {
            int primary = s.getErrorCode() & 0xff;
            return primary == SQLITE_BUSY || primary == SQLITE_LOCKED;
        });
    }

    @Override
    public void lockForMigration(Connection connection) {
        // BEGIN IMMEDIATE has made this transaction the only writer already.
    }

    @Override
    public void executeScript(Statement statement, String sql) throws SQLException {
        // The driver hands executeUpdate's text to sqlite3_exec, which runs every statement in it.
        statement.executeUpdate(sql);
    }

    @Override
    public String describe() {
        return "embedded SQLite at " + file;
    }

    @Override
    public void close() {
        writeLock.lock();
        try {
            readers.close();
            closeQuietly(writer);
            if (lockChannel.isOpen()) {
                lock.release();
                lockChannel.close();
            }
        } catch (IOException e) {
            throw new StoreException("cannot release the lock of " + file.getParent(), e);
        } finally {
            writeLock.unlock();
        }
    }

    private static void closeQuietly(Connection connection) {
        if (connection != null) {
            try {
                connection.close();
            } catch (SQLException ignored) {
                // closing anyway
            }
        }
    }
}
