package io.fairlane.gateway;

import io.fairlane.gateway.config.StoreConfig;
import io.fairlane.gateway.store.Database;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one {@link Database}, opened at start from the configuration's {@code storage} section and closed at
 * shutdown after everything that uses it: every feature that keeps durable state (stored responses, files, batches)
 * gets it from here rather than opening its own. Without the section there is none, and each feature says what it
 * does instead.
 *
 * <p>Thread-safe; opened and closed by {@link Gateway} only.
 */
final class DurableState implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DurableState.class);

    private final Database database;

    private DurableState(Database database) {
        this.database = database;
    }

    /**
     * Opens the configured store (creating its directory or connecting to PostgreSQL; blocking).
     *
     * @throws io.fairlane.gateway.store.StoreException when it cannot be opened: the gateway does not start without
     *                                                  the state its configuration names
     */
    static DurableState open(StoreConfig config, Map<String, String> environment) {
        Objects.requireNonNull(config, "config");
        return new DurableState(config.settings().map(s -> Database.open(s, environment)).orElse(null));
    }

    /** The database, when the configuration names one. */
    Optional<Database> database() {
        return Optional.ofNullable(database);
    }

    @Override
    public void close() {
        if (database != null) {
            try {
                database.close();
            } catch (RuntimeException e) {
                LOG.warn("closing the durable store failed", e);
            }
        }
    }

    @Override
    public String toString() {
        return "DurableState[" + (database == null ? "none" : database) + "]";
    }
}
