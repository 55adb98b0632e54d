package io.fairlane.gateway.batches;

import io.fairlane.gateway.config.BatchesConfig;
import io.fairlane.gateway.files.FileStore;
import io.fairlane.gateway.files.Ids;
import io.fairlane.gateway.metrics.BatchMeters;
import io.fairlane.gateway.store.Database;
import io.fairlane.gateway.store.StoreSettings;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The batch feature of one gateway process, started once durable state is open: its store, and the runner that
 * executes lines of every in-progress batch (created here or by another replica sharing the store).
 */
public final class Batches implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Batches.class);

    private final BatchStore store;
    private final BatchRunner runner;

    private Batches(BatchStore store, BatchRunner runner) {
        this.store = store;
        this.runner = runner;
    }

    /**
     * Opens the batch tables and starts the runner.
     *
     * @param modelServed  whether a model id is served now (lines naming another fail validation)
     * @param maxLineBytes the longest line an input file may hold (the server's body limit: a line is a request)
     */
    public static Batches start(Database database, FileStore files, LineDispatcher dispatcher,
                                Predicate<String> modelServed, Supplier<BatchesConfig> config, int maxLineBytes,
                                BatchMeters meters) {
        Objects.requireNonNull(database, "database");
        BatchStore store = BatchStore.open(database);
        String owner = Ids.random("replica-");
        BatchValidator validator = new BatchValidator(modelServed, config.get().maxLines(), maxLineBytes);
        BatchJobs jobs = new BatchJobs(store, files, validator, meters, config, owner);
        BatchRunner runner = new BatchRunner(store, dispatcher, config, meters, jobs, owner);
        boolean soleProcess = database.settings() instanceof StoreSettings.Embedded;
        runner.start(soleProcess);
        LOG.info("batches: running lines as {} ({})", owner, soleProcess ? "embedded store: the only process"
                : "shared store: claiming lines beside other replicas");
        return new Batches(store, runner);
    }

    public BatchStore store() {
        return store;
    }

    /** Tells the runner something changed (a batch created or cancelled). */
    public void wake() {
        runner.wake();
    }

    /** Stops running lines; those in flight are put back to run on the next start (or on another replica). */
    @Override
    public void close() {
        runner.close();
    }
}
