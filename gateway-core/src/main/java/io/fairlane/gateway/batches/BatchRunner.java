package io.fairlane.gateway.batches;

import io.fairlane.gateway.config.BatchesConfig;
import io.fairlane.gateway.http.InProcessRequests;
import io.fairlane.gateway.metrics.BatchMeters;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs the lines of every in-progress batch, on every gateway process that shares the store.
 *
 * <p>One loop thread (a virtual thread) does all the bookkeeping, in rounds. A round first dispatches lines it claimed
 * earlier into the room the finished ones left ({@link LineDispatcher}: through the gateway's own lanes, at the
 * batch's tier), then writes the answers of the lines that finished since the last round, puts back those to try
 * again, renews this process's leases and claims the next lines, all in one transaction (one commit, one fsync on the
 * embedded store, however many lines). Lines finish on event loops, which only queue them for the next round. Rounds
 * come as fast as lines finish, but at most one per {@value #MIN_ROUND_MILLIS} ms, so a busy batch writes its answers
 * in groups. The round's commit does not wait for the disk ({@link io.fairlane.gateway.store.Database#transaction(
 * io.fairlane.gateway.store.Database.Work, boolean)}): a killed process loses none of it, and what a power cut may
 * lose (the last rounds' answers and claims) is only work to redo, as for lines in flight at a crash; the batch's
 * counters and answers go back together, so each line is still answered and counted once.
 *
 * <p>Dispatching before the commit is what keeps the lanes busy: a commit takes milliseconds (an fsync), about as long
 * as a fast upstream takes to answer, and lines that had to wait for it would leave the room idle for half of every
 * round. So each batch holds up to {@code max_in_flight_per_batch} claimed lines ready beside those in flight. A
 * ready line is claimed (durably, under this process's lease) before it is dispatched, exactly like one in flight:
 * if the process dies it runs again, and if the batch stops it is put back unrun.
 *
 * <p>Bounds: at most {@code max_in_flight_per_batch} lines of one batch and {@code max_in_flight} of all batches in
 * flight at once on this process, with the room shared round robin among batches, so a 50,000-line batch never
 * floods a lane's queue and many batches progress together.
 *
 * <p>Whole-batch work (validation, finalization, expiry) is decided by {@link BatchJobs} once a second and run on
 * virtual threads beside the loop.
 *
 * <p>Crash safety comes from the store ({@link BatchLines}): an answer is durable before anything depends on it, a
 * line in flight when the process dies runs again (its lease lapses, or, on the embedded store, at once on restart),
 * and an answer is written at most once.
 *
 * <p>The loop's state is confined to the loop thread; {@link #wake} and line completions are thread-safe.
 */
public final class BatchRunner implements AutoCloseable {

    static final long MIN_ROUND_MILLIS = 5;
    private static final long IDLE_WAIT_MILLIS = 100;
    private static final long REFRESH_MILLIS = 1000;
    private static final Logger LOG = LoggerFactory.getLogger(BatchRunner.class);

    /** A line that ended, waiting for the next round. */
    private record Ended(BatchLines.Claimed line, InProcessRequests.Response response, Throwable error) {
    }

    /** What this process knows of an in-progress batch: its row and its lines in flight here. */
    static final class Running {
        Batch batch;
        final Map<Integer, InProcessRequests.Call> inFlight = new HashMap<>();
        /** Lines claimed in an earlier round's commit and not dispatched yet, in line order. */
        final java.util.ArrayDeque<BatchLines.Claimed> ready = new java.util.ArrayDeque<>();
        final java.util.Set<Integer> abandoned = new java.util.HashSet<>();
        boolean exhausted;
        boolean stopping;
        long lastFinishCheck;

        Running(Batch batch) {
            this.batch = batch;
        }
    }

    private final BatchStore store;
    private final LineDispatcher dispatcher;
    private final Supplier<BatchesConfig> config;
    private final BatchMeters meters;
    private final BatchJobs jobs;
    private final String owner;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signal = lock.newCondition();
    private final ConcurrentLinkedQueue<Ended> ended = new ConcurrentLinkedQueue<>();
    private final Map<String, Running> running = new LinkedHashMap<>();
    private boolean woken;          // guarded by lock
    private volatile boolean refreshWanted = true;
    private volatile boolean closed;
    private Thread loop;
    private long lastRound;
    private long lastRefresh;
    private long lastRenewal;
    private long lastReap;
    private int rotation;
    private int inFlight;
    private List<BatchLines.Answer> unwrittenAnswers = new ArrayList<>();
    private List<BatchLines.Retry> unwrittenRetries = new ArrayList<>();

    BatchRunner(BatchStore store, LineDispatcher dispatcher, Supplier<BatchesConfig> config, BatchMeters meters,
                BatchJobs jobs, String owner) {
        this.store = Objects.requireNonNull(store, "store");
        this.dispatcher = Objects.requireNonNull(dispatcher, "dispatcher");
        this.config = Objects.requireNonNull(config, "config");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.jobs = Objects.requireNonNull(jobs, "jobs");
        this.owner = Objects.requireNonNull(owner, "owner");
    }

    /** Starts the loop; with {@code soleProcess} (an embedded store) first takes back every claim a crash left. */
    void start(boolean soleProcess) {
        if (soleProcess) {
            store.releaseAllClaims();
        }
        loop = Thread.ofVirtual().name("batch-runner").start(this::run);
    }

    /** Something changed (a batch was created or cancelled, whole-batch work ended): look again soon. */
    public void wake() {
        refreshWanted = true;
        signal();
    }

    private void signal() {
        lock.lock();
        try {
            woken = true;
            signal.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** Lines in flight on this process now (for tests and the pending meter). */
    int inFlight() {
        return inFlight;
    }

    private void run() {
        while (!closed) {
            try {
                awaitWork();
                if (closed) {
                    break;
                }
                round();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (RuntimeException e) {
                LOG.error("batch runner round failed; retrying in a second", e);
                sleepQuietly(1000);
            }
        }
        abandonAll();
    }

    private void awaitWork() throws InterruptedException {
        long sinceRound = System.currentTimeMillis() - lastRound;
        if (sinceRound < MIN_ROUND_MILLIS) {
            Thread.sleep(MIN_ROUND_MILLIS - sinceRound);
        }
        lock.lock();
        try {
            if (!woken && ended.isEmpty()) {
                signal.await(IDLE_WAIT_MILLIS, TimeUnit.MILLISECONDS);
            }
            woken = false;
        } finally {
            lock.unlock();
        }
    }

    /** One round: refresh what runs, settle what ended, claim and dispatch what fits. */
    private void round() {
        long now = System.currentTimeMillis();
        lastRound = now;
        BatchesConfig limits = config.get();
        if (refreshWanted || now - lastRefresh >= REFRESH_MILLIS) {
            refreshWanted = false;
            lastRefresh = now;
            jobs.refresh(this, now);
        }
        List<BatchLines.Answer> answers = unwrittenAnswers;
        List<BatchLines.Retry> retries = unwrittenRetries;
        settle(limits, now, answers, retries);
        dispatchReady(limits, now);
        Map<Running, Integer> wanted = wanted(limits);
        long lease = limits.lease().toMillis();
        boolean renew = (held() > 0 || jobs.busy()) && now - lastRenewal >= lease / 3;
        boolean reap = now - lastReap >= lease / 2 && !running.isEmpty();
        if (answers.isEmpty() && retries.isEmpty() && wanted.isEmpty() && !renew && !reap) {
            return;
        }
        Map<String, List<BatchLines.Claimed>> claimed = store.database().transaction(c -> {
            store.lines().answer(c, answers);
            store.lines().retry(c, retries, owner);
            if (renew) {
                store.lines().renew(c, owner, now + lease);
                store.renew(c, owner, now + lease);
            }
            if (reap) {
                for (Running r : running.values()) {
                    store.lines().reap(c, r.batch.id(), now);
                }
            }
            Map<String, List<BatchLines.Claimed>> got = new HashMap<>();
            for (Map.Entry<Running, Integer> w : wanted.entrySet()) {
                got.put(w.getKey().batch.id(), store.lines().claim(c, w.getKey().batch.id(), w.getValue(), owner, now,
                        now + lease));
            }
            return got;
        }, true);
        // Written: from here on a crash of this process loses none of them. Until here they stay for the next round's commit.
        unwrittenAnswers = new ArrayList<>();
        unwrittenRetries = new ArrayList<>();
        if (renew) {
            lastRenewal = now;
        }
        if (reap) {
            lastReap = now;
        }
        for (BatchLines.Answer a : answers) {
            Running r = running.get(a.batchId());
            meters.line(r == null ? "none" : r.batch.tenant(), a.ok() ? "completed" : "failed");
        }
        for (Map.Entry<Running, Integer> w : wanted.entrySet()) {
            Running r = w.getKey();
            List<BatchLines.Claimed> lines = claimed.getOrDefault(r.batch.id(), List.of());
            if (lines.size() < w.getValue()) {
                r.exhausted = true;
            }
            r.ready.addAll(lines);
        }
        dispatchReady(limits, now);
        for (Running r : running.values()) {
            if (r.exhausted && r.inFlight.isEmpty() && r.ready.isEmpty() && !r.stopping
                    && now - r.lastFinishCheck >= 200) {
                r.lastFinishCheck = now;
                jobs.maybeFinished(this, r.batch, now);
            }
        }
    }

    /** Turns the lines that ended into answers and retries. */
    private void settle(BatchesConfig limits, long now, List<BatchLines.Answer> answers,
                        List<BatchLines.Retry> retries) {
        for (Ended e = ended.poll(); e != null; e = ended.poll()) {
            Running r = running.get(e.line().batchId());
            boolean abandoned = r == null || r.abandoned.remove(e.line().lineNo());
            if (r != null) {
                r.inFlight.remove(e.line().lineNo());
            }
            inFlight--;
            LineOutcomes.Outcome outcome = LineOutcomes.of(e.line(), e.response(), e.error(), abandoned,
                    limits.maxAttempts(), now);
            switch (outcome) {
                case LineOutcomes.Answered a -> answers.add(a.answer());
                case LineOutcomes.Again again -> {
                    retries.add(again.retry());
                    if (r != null) {
                        r.exhausted = false;
                        if (!abandoned) {
                            meters.line(r.batch.tenant(), "retried");
                        }
                    }
                }
            }
        }
    }

    /**
     * How many lines to claim for each running batch this round, sharing the room round robin: enough that each
     * batch holds up to {@code max_in_flight_per_batch} in flight and as many again ready, and this process at most
     * twice {@code max_in_flight} claimed lines in all.
     */
    private Map<Running, Integer> wanted(BatchesConfig limits) {
        Map<Running, Integer> wanted = new LinkedHashMap<>();
        int room = 2 * limits.maxInFlight() - held();
        List<Running> order = new ArrayList<>(running.values());
        if (order.isEmpty() || room <= 0) {
            return wanted;
        }
        rotation = (rotation + 1) % order.size();
        for (int i = 0; i < order.size() && room > 0; i++) {
            Running r = order.get((rotation + i) % order.size());
            if (r.stopping || r.exhausted || r.batch.status() != Batch.Status.IN_PROGRESS) {
                continue;
            }
            int n = Math.min(room, 2 * limits.maxInFlightPerBatch() - r.inFlight.size() - r.ready.size());
            if (n > 0) {
                wanted.put(r, n);
                room -= n;
            }
        }
        return wanted;
    }

    /** Lines this process holds claimed: in flight or ready. */
    private int held() {
        int held = inFlight;
        for (Running r : running.values()) {
            held += r.ready.size();
        }
        return held;
    }

    /** Dispatches ready lines into the room in flight, round robin among the batches, within both bounds. */
    private void dispatchReady(BatchesConfig limits, long now) {
        List<Running> order = new ArrayList<>(running.values());
        boolean more = true;
        while (more && inFlight < limits.maxInFlight()) {
            more = false;
            for (int i = 0; i < order.size() && inFlight < limits.maxInFlight(); i++) {
                Running r = order.get((rotation + i) % order.size());
                if (r.stopping || r.ready.isEmpty() || r.inFlight.size() >= limits.maxInFlightPerBatch()
                        || r.batch.status() != Batch.Status.IN_PROGRESS) {
                    continue;
                }
                dispatch(r, r.ready.poll(), now);
                more = true;
            }
        }
    }

    private void dispatch(Running r, BatchLines.Claimed line, long now) {
        Batch b = r.batch;
        meters.waited(b.tenant(), TimeUnit.MILLISECONDS.toNanos(now - line.queuedAt()));
        InProcessRequests.Call call;
        try {
            call = dispatcher.dispatch(b.tenant(), b.tier(), b.endpoint(), line.body().getBytes(StandardCharsets.UTF_8));
        } catch (RuntimeException e) {
            ended.add(new Ended(line, null, e));
            inFlight++;
            return;
        }
        inFlight++;
        r.inFlight.put(line.lineNo(), call);
        call.response().whenComplete((response, error) -> {
            ended.add(new Ended(line, response, error));
            signal();
        });
    }

    /** The batches this process runs lines of, by id (for {@link BatchJobs}). */
    Map<String, Running> running() {
        return running;
    }

    /**
     * Stops running the batch's lines here: those in flight are abandoned and put back, those ready are put back with
     * the next commit.
     */
    void stop(Running r) {
        r.stopping = true;
        long now = System.currentTimeMillis();
        for (BatchLines.Claimed l = r.ready.poll(); l != null; l = r.ready.poll()) {
            unwrittenRetries.add(new BatchLines.Retry(l.batchId(), l.lineNo(), now, false));
        }
        for (Map.Entry<Integer, InProcessRequests.Call> e : r.inFlight.entrySet()) {
            r.abandoned.add(e.getKey());
            e.getValue().cancel();
        }
    }

    private void abandonAll() {
        List<BatchLines.Retry> retries = new ArrayList<>(unwrittenRetries);
        long now = System.currentTimeMillis();
        for (Running r : running.values()) {
            for (BatchLines.Claimed l : r.ready) {
                retries.add(new BatchLines.Retry(r.batch.id(), l.lineNo(), now, false));
            }
            for (Map.Entry<Integer, InProcessRequests.Call> e : r.inFlight.entrySet()) {
                e.getValue().cancel();
                retries.add(new BatchLines.Retry(r.batch.id(), e.getKey(), now, false));
            }
        }
        if (retries.isEmpty()) {
            return;
        }
        try {
            store.database().transaction(c -> {
                store.lines().retry(c, retries, owner);
                return null;
            });
        } catch (RuntimeException e) {
            LOG.warn("putting back {} batch lines at shutdown failed; they run again once their lease lapses",
                    retries.size(), e);
        }
    }

    private static void sleepQuietly(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Stops the loop; lines in flight are cancelled and put back, to run again on the next start. */
    @Override
    public void close() {
        closed = true;
        signal();
        if (loop != null) {
            try {
                loop.join(10_000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        jobs.close();
    }
}
