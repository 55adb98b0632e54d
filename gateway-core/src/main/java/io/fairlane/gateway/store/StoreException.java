package io.fairlane.gateway.store;

/**
 * A database operation failed for good: not a busy or serialization conflict (those are retried inside
 * {@link Database#transaction}), or one that kept recurring after every retry. Unchecked, because a feature can
 * rarely do more with it than turn it into a 500 and log it; the {@link java.sql.SQLException} is the cause.
 */
public final class StoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public StoreException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreException(String message) {
        super(message);
    }
}
