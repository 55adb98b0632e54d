package io.fairlane.gateway.store;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The gateway's one {@link Database}, opened at start on a virtual thread (so a slow disk or an unreachable
 * PostgreSQL never delays serving chat) and closed at shutdown. Features that keep durable state (files, batches,
 * stored responses) ask for it with {@link #whenOpen} or {@link #database()}; until it is open, or when it could
 * not be opened, their requests are answered 503 by {@link #require()}'s callers, and the rest of the gateway serves
 * on.
 *
 * <p>Thread-safe.
 */
public final class DurableState implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(DurableState.class);

    private final Optional<StoreSettings> settings;
    private final CompletableFuture<Database> database = new CompletableFuture<>();
    private volatile boolean closed;
    private volatile Thread opener;

    private DurableState(Optional<StoreSettings> settings) {
        this.settings = settings;
    }

    /**
     * Starts opening the store {@code settings} name on a virtual thread; empty settings mean no durable state (every
     * feature that needs it stays unavailable, saying so).
     */
    public static DurableState open(Optional<StoreSettings> settings) {
        return open(settings, System.getenv());
    }

    /** As {@link #open(Optional)}, looking up a PostgreSQL password in {@code environment}. */
    public static DurableState open(Optional<StoreSettings> settings, Map<String, String> environment) {
        Objects.requireNonNull(settings, "settings");
        Objects.requireNonNull(environment, "environment");
        DurableState state = new DurableState(settings);
        if (settings.isEmpty()) {
            state.database.completeExceptionally(new Unavailable("durable state is turned off (storage: "
                    + "{enabled: false}); files, batches and stored responses need a storage section"));
            return state;
        }
        state.opener = Thread.ofVirtual().name("durable-state-open").start(() -> {
            try {
                Database db = Database.open(settings.get(), environment);
                db.blobs(); // prepares the blob store (and clears what a crash left) before any feature writes
                if (!state.database.complete(db) || state.closed) {
                    db.close();
                }
            } catch (RuntimeException e) {
                LOG.error("durable state could not be opened ({}): files, batches and stored responses are "
                        + "unavailable until a restart", settings.get(), e);
                state.database.completeExceptionally(new Unavailable("durable state could not be opened: "
                        + e.getMessage()));
            }
        });
        return state;
    }

    /** The settings it was opened with; empty when durable state is off. */
    public Optional<StoreSettings> settings() {
        return settings;
    }

    /** Completes with the open database, or exceptionally with {@link Unavailable}. */
    public CompletableFuture<Database> database() {
        return database;
    }

    /** Runs {@code start} with the database once it is open (on the opening thread); never when it fails to open. */
    public void whenOpen(Consumer<Database> start) {
        database.thenAccept(db -> {
            if (db != null) {
                start.accept(db);
            }
        }).exceptionally(e -> {
            if (!(unwrap(e) instanceof Unavailable)) {
                LOG.error("starting a feature on durable state failed", unwrap(e));
            }
            return null;
        });
    }

    /**
     * The database, waiting for it to open. For request handlers on virtual threads.
     *
     * @throws Unavailable when durable state is off or could not be opened
     */
    public Database require() {
        try {
            Database db = database.join();
            if (db == null || closed) {
                throw new Unavailable("the gateway is shutting down");
            }
            return db;
        } catch (CompletionException e) {
            if (unwrap(e) instanceof Unavailable u) {
                throw u;
            }
            throw new Unavailable("durable state could not be opened: " + unwrap(e).getMessage());
        }
    }

    /** The database if it is open now. */
    public Optional<Database> now() {
        return database.isDone() && !database.isCompletedExceptionally() && !closed
                ? Optional.ofNullable(database.join()) : Optional.empty();
    }

    /** Closes the database (after the features using it have stopped). */
    @Override
    public void close() {
        closed = true;
        awaitOpening(); // so that a database still opening (and what features start on it) is closed, not left behind
        if (!database.complete(null) && !database.isCompletedExceptionally()) {
            Database db = database.join();
            if (db != null) {
                db.close();
            }
        }
    }

    private void awaitOpening() {
        Thread t = opener;
        if (t == null || t == Thread.currentThread()) {
            return;
        }
        try {
            if (!t.join(java.time.Duration.ofSeconds(5))) {
                LOG.warn("durable state still opening after 5 s at shutdown; closing without it");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static Throwable unwrap(Throwable e) {
        return e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
    }

    /** Durable state is off or could not be opened; the message says which and why. */
    public static final class Unavailable extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public Unavailable(String message) {
            super(message, null, false, false);
        }
    }
}
