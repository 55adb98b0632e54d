package io.fairlane.gateway.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Set;

/**
 * PostgreSQL through a HikariCP pool. Connections come out of the pool with auto-commit off; a transaction is
 * the work between borrowing and {@code commit}. Read transactions are marked read-only, which PostgreSQL
 * enforces.
 *
 * <p>Concurrent migrations from several replicas take turns on a transaction-scoped advisory lock, which
 * PostgreSQL releases at commit or rollback, and so also when a replica dies halfway.
 */
final class PostgresConnections implements Connections {

    /** The advisory lock key for migrations: "fairlane" in ASCII, so that it is recognisable in pg_locks. */
    static final long MIGRATION_LOCK = 0x6661_6972_6c61_6e65L;
    /** serialization_failure, deadlock_detected: the transaction lost a conflict and may be run again. */
    private static final Set<String> RETRYABLE_STATES = Set.of("40001", "40P01");

    private final StoreSettings.Postgres settings;
    private final HikariDataSource pool;

    private PostgresConnections(StoreSettings.Postgres settings, HikariDataSource pool) {
        this.settings = settings;
        this.pool = pool;
    }

    static PostgresConnections open(StoreSettings.Postgres settings, Map<String, String> environment) {
        String password = null;
        if (settings.passwordEnv().isPresent()) {
            String name = settings.passwordEnv().get();
            password = environment.get(name);
            if (password == null) {
                throw new StoreException("storage.postgres.password_env: the environment variable " + name
                        + " is not set");
            }
        }
        HikariConfig config = new HikariConfig();
        config.setPoolName("fairlane-store");
        config.setJdbcUrl(settings.url());
        config.setUsername(settings.user());
        config.setPassword(password);
        config.setMaximumPoolSize(settings.pool());
        config.setMinimumIdle(Math.min(2, settings.pool()));
        config.setAutoCommit(false);
        config.setConnectionTimeout(10_000);
        config.addDataSourceProperty("ApplicationName", "fairlane");
        config.addDataSourceProperty("tcpKeepAlive", "true");
        try {
            return new PostgresConnections(settings, new HikariDataSource(config));
        } catch (RuntimeException e) {
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            throw new StoreException("cannot connect to PostgreSQL at " + settings.url() + " as " + settings.user()
                    + ": " + cause.getMessage(), e);
        }
    }

    @Override
    public Dialect dialect() {
        return Dialect.POSTGRESQL;
    }

    @Override
    public <T> T write(Database.Work<T> work, boolean deferSync) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            if (!deferSync) {
                return inTransaction(connection, work);
            }
            return inTransaction(connection, c -> {
                try (Statement s = c.createStatement()) {
                    s.execute("SET LOCAL synchronous_commit = off"); // this transaction only
                }
                return work.run(c);
            });
        }
    }

    @Override
    public <T> T read(Database.Work<T> work) throws SQLException {
        try (Connection connection = pool.getConnection()) {
            connection.setReadOnly(true); // the pool restores it when the connection comes back
            return inTransaction(connection, work);
        }
    }

    private static <T> T inTransaction(Connection connection, Database.Work<T> work) throws SQLException {
        try {
            T result = work.run(Connections.guard(connection));
            connection.commit();
            return result;
        } catch (Throwable failure) {
            try {
                connection.rollback();
            } catch (SQLException rollbackFailed) {
                failure.addSuppressed(rollbackFailed);
            }
            throw failure;
        }
    }

    @Override
    public boolean isRetryable(SQLException e) {
        return Connections.anyInChain(e, s -> s.getSQLState() != null && RETRYABLE_STATES.contains(s.getSQLState()));
    }

    @Override
    public void lockForMigration(Connection connection) throws SQLException {
        try (PreparedStatement lock = connection.prepareStatement("SELECT pg_advisory_xact_lock(?)")) {
            lock.setLong(1, MIGRATION_LOCK);
            lock.execute();
        }
    }

    @Override
    public void executeScript(Statement statement, String sql) throws SQLException {
        // The driver splits a simple statement at its semicolons (outside quotes) and runs each part.
        statement.execute(sql);
    }

    @Override
    public String describe() {
        return "PostgreSQL at " + settings.url() + " as " + settings.user() + " (pool " + settings.pool() + ")";
    }

    @Override
    public void close() {
        pool.close();
    }
}
