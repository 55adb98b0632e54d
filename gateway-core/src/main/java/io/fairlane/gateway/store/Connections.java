package io.fairlane.gateway.store;

import java.lang.reflect.InvocationHandler;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Set;

/**
 * How {@link Database} gets a connection for one transaction, ends the transaction, and tells a conflict worth
 * retrying from a real failure; one implementation per database. {@link Database} keeps everything the two
 * share: retries, nesting, migrations.
 */
sealed interface Connections permits SqliteConnections, PostgresConnections {

    Dialect dialect();

    /**
     * One attempt at {@code work} in a read-write transaction: commit on return, roll back on any throw. With
     * {@code deferSync} the commit returns without waiting for the disk ({@link Database#transaction(Work, boolean)}).
     */
    <T> T write(Database.Work<T> work, boolean deferSync) throws SQLException;

    /** One attempt at {@code work} in a read-only transaction. */
    <T> T read(Database.Work<T> work) throws SQLException;

    /** Whether the failure is a busy database or a lost conflict, after which the same work may well succeed. */
    boolean isRetryable(SQLException e);

    /** Makes concurrent migrations take turns, for the rest of the transaction on {@code connection}. */
    void lockForMigration(Connection connection) throws SQLException;

    /** Runs SQL that may hold several statements separated by semicolons. */
    void executeScript(Statement statement, String sql) throws SQLException;

    /** For logs: which database, without secrets. */
    String describe();

    void close();

    /** Methods of the connection that belong to {@link Database}, not to the work it runs. */
    Set<String> RESERVED = Set.of("commit", "rollback", "setAutoCommit", "close", "setReadOnly", "abort");

    /**
     * {@code connection} as the work sees it: everything passes through, except the methods that would end or
     * change the transaction behind {@link Database}'s back, which throw. Rolling back to a savepoint is allowed.
     */
    static Connection guard(Connection connection) {
        InvocationHandler handler = (proxy, method, args) -> {
            String name = method.getName();
            boolean toSavepoint = name.equals("rollback") && args != null && args.length == 1;
            if (RESERVED.contains(name) && !toSavepoint) {
                throw new SQLException("Connection." + name + " is not allowed inside Database.transaction/read: "
                        + "the transaction commits when the work returns and rolls back when it throws");
            }
            try {
                return method.invoke(connection, args);
            } catch (InvocationTargetException e) {
                throw e.getCause();
            }
        };
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(),
                new Class<?>[] {Connection.class}, handler);
    }

    /** Whether any SQLException among the causes and next-exceptions of {@code e} satisfies {@code test}. */
    static boolean anyInChain(SQLException e, java.util.function.Predicate<SQLException> test) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof SQLException sql) {
                for (SQLException next = sql; next != null; next = next.getNextException()) {
                    if (test.test(next)) {
                        return true;
                    }
                    if (next.getNextException() == next) {
                        break;
                    }
                }
            }
            if (t.getCause() == t) {
                break;
            }
        }
        return false;
    }
}
