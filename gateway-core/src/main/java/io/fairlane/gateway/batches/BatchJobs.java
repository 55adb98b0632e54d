package io.fairlane.gateway.batches;

import io.fairlane.gateway.config.BatchesConfig;
import io.fairlane.gateway.files.FileObject;
import io.fairlane.gateway.files.FileStore;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.metrics.BatchMeters;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Whole-batch work, decided once a second by the runner's loop from the batches' rows: validating new batches,
 * expiring those whose window passed, stopping lines of cancelled ones, and writing the result files of batches that
 * are done. Each piece of work is claimed with a lease first ({@link BatchStore#claim}), so with several replicas
 * exactly one does it, and runs on a virtual thread beside the loop; when it ends it wakes the loop.
 *
 * <p>{@link #refresh} and {@link #maybeFinished} run on the loop thread; the work they start runs elsewhere and
 * touches only the store.
 */
final class BatchJobs implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(BatchJobs.class);

    private final BatchStore store;
    private final FileStore files;
    private final BatchValidator validator;
    private final BatchFinalizer finalizer;
    private final BatchMeters meters;
    private final Supplier<BatchesConfig> config;
    private final String owner;
    private final ExecutorService background = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("batch-job-", 0).factory());
    private final Set<String> busy = ConcurrentHashMap.newKeySet();

    BatchJobs(BatchStore store, FileStore files, BatchValidator validator, BatchMeters meters,
              Supplier<BatchesConfig> config, String owner) {
        this.store = store;
        this.files = files;
        this.validator = validator;
        this.finalizer = new BatchFinalizer(store, files);
        this.meters = meters;
        this.config = config;
        this.owner = owner;
    }

    /** Brings the runner's view up to date with the store and starts whatever whole-batch work is due. */
    void refresh(BatchRunner runner, long now) {
        Map<String, BatchRunner.Running> running = runner.running();
        Set<String> seen = new HashSet<>();
        Map<String, Long> pending = new HashMap<>();
        for (Batch b : store.active()) {
            seen.add(b.id());
            BatchRunner.Running r = running.get(b.id());
            switch (b.status()) {
                case VALIDATING -> {
                    if (b.times().expiresAt() <= now) {
                        expire(runner, b, now);
                    } else {
                        validate(runner, b, now);
                    }
                }
                case IN_PROGRESS -> {
                    if (b.times().expiresAt() <= now) {
                        expire(runner, b, now);
                        continue;
                    }
                    if (r == null) {
                        running.put(b.id(), new BatchRunner.Running(b));
                    } else {
                        r.batch = b;
                        r.exhausted = false;
                    }
                    pending.merge(b.tenant(), b.counts().total() - b.counts().completed() - b.counts().failed(),
                            Long::sum);
                }
                case CANCELLING, FINALIZING -> {
                    if (r != null) {
                        r.batch = b;
                        runner.stop(r);
                        if (!r.inFlight.isEmpty()) {
                            continue; // finalize once the abandoned lines are back
                        }
                        running.remove(b.id());
                    }
                    finalize(runner, b, now);
                }
                default -> {
                }
            }
        }
        for (BatchRunner.Running r : new ArrayList<>(running.values())) {
            if (!seen.contains(r.batch.id())) {
                runner.stop(r);
                if (r.inFlight.isEmpty()) {
                    running.remove(r.batch.id());
                }
            }
        }
        meters.pending(pending);
    }

    /** Whether whole-batch work of this process is running (its claims need renewing). */
    boolean busy() {
        return !busy.isEmpty();
    }

    /** A running batch's lines seem all answered: move it to finalizing if the store agrees. */
    void maybeFinished(BatchRunner runner, Batch batch, long now) {
        if (store.beginFinalizing(batch.id(), Batch.Status.COMPLETED, now)) {
            runner.wake();
        }
    }

    private void expire(BatchRunner runner, Batch b, long now) {
        if (store.beginFinalizing(b.id(), Batch.Status.EXPIRED, now)) {
            LOG.info("batch {} of {} expired with {} of {} lines answered", b.id(), b.tenant(),
                    b.counts().completed() + b.counts().failed(), b.counts().total());
            BatchRunner.Running r = runner.running().get(b.id());
            if (r != null) {
                runner.stop(r);
            }
            runner.wake();
        }
    }

    private void validate(BatchRunner runner, Batch b, long now) {
        if (busy.contains(b.id()) || !store.claim(b.id(), Batch.Status.VALIDATING, owner, now, leaseEnd(now))) {
            return;
        }
        busy.add(b.id());
        background.execute(() -> {
            try {
                Optional<FileObject> input = files.find(b.tenant(), b.inputFileId());
                BatchValidator.Outcome outcome;
                if (input.isEmpty()) {
                    outcome = new BatchValidator.Invalid(errors("input_file_not_found", "The input file "
                            + b.inputFileId() + " was deleted before the batch was validated."), 0);
                } else {
                    try (InputStream in = files.open(input.get())) {
                        outcome = validator.validate(in, b.id(), b.endpoint(), store.lines());
                    }
                }
                long at = System.currentTimeMillis();
                switch (outcome) {
                    case BatchValidator.Valid v -> store.start(b.id(), v.total(), v.model(), at);
                    case BatchValidator.Invalid inv -> {
                        store.fail(b.id(), inv.errors(), inv.total(), at);
                        meters.batch(b.tenant(), "failed");
                    }
                }
            } catch (Exception e) {
                LOG.warn("validating batch {} failed; it is tried again once its claim lapses", b.id(), e);
            } finally {
                busy.remove(b.id());
                runner.wake();
            }
        });
    }

    private void finalize(BatchRunner runner, Batch b, long now) {
        if (busy.contains(b.id()) || !store.claim(b.id(), b.status(), owner, now, leaseEnd(now))) {
            return;
        }
        busy.add(b.id());
        background.execute(() -> {
            try {
                Batch.Status ending = store.ending(b.id());
                Batch current = store.find(b.id()).orElse(b);
                if (finalizer.finish(current, ending)) {
                    meters.batch(b.tenant(), ending.wire());
                    LOG.info("batch {} of {} {}: {} completed, {} failed of {}", b.id(), b.tenant(), ending.wire(),
                            current.counts().completed(), current.counts().failed(), current.counts().total());
                }
            } catch (Exception e) {
                LOG.warn("finishing batch {} failed; it is tried again once its claim lapses", b.id(), e);
            } finally {
                busy.remove(b.id());
                runner.wake();
            }
        });
    }

    private long leaseEnd(long now) {
        return now + config.get().lease().toMillis();
    }

    static com.fasterxml.jackson.databind.node.ObjectNode errors(String code, String message) {
        com.fasterxml.jackson.databind.node.ObjectNode list = Json.MAPPER.createObjectNode();
        list.put("object", "list");
        com.fasterxml.jackson.databind.node.ObjectNode e = list.putArray("data").addObject();
        e.put("code", code);
        e.put("message", message);
        e.putNull("param");
        e.putNull("line");
        return list;
    }

    @Override
    public void close() {
        background.shutdownNow();
    }
}
