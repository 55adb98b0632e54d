package io.fairlane.engine.runtime;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticker;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * An engine over the {@link ToyModel} whose forward steps run one at a time, with each request submitted while the
 * loop waits inside a given step: what every step plans — admissions, preemptions, resumes — then depends on the
 * arrival pattern alone, never on how fast the machine is. Time, for the engine and its tenant scheduler, is the
 * number of forward steps run times {@link #STEP_NANOS}.
 */
final class SteppedEngine implements AutoCloseable {

    static final long STEP_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    /** {@code request} is submitted while the loop waits inside forward step {@code step} (0: before the first). */
    record Arrival(int step, GenerationRequest request) {
    }

    /** Aborts request {@code requestId} while the loop waits inside forward step {@code step}. */
    record Abort(int step, String requestId) {
    }

    final ToyModel toy;
    final LocalEngine engine;
    final TenantScheduler<Work> queue;

    SteppedEngine(int blocks, int blockSize, int maxBatchTokens, int maxRunning, Policy policy,
                  List<TenantSpec> tenants, Preemption preemption) {
        this(blocks, blockSize, maxBatchTokens, maxRunning, policy, tenants, preemption, false);
    }

    /** @param overlap whether the loop keeps a step in flight (the toy then feeds sampled tokens as a device would) */
    SteppedEngine(int blocks, int blockSize, int maxBatchTokens, int maxRunning, Policy policy,
                  List<TenantSpec> tenants, Preemption preemption, boolean overlap) {
        this.toy = new ToyModel(blocks, blockSize);
        toy.gate = new Semaphore(0);
        toy.feedsSampled = overlap;
        Ticker ticker = () -> toy.steps.get() * STEP_NANOS;
        AtomicReference<TenantScheduler<Work>> created = new AtomicReference<>();
        this.engine = new LocalEngine(ToyModel.info(4096, List.of()), toy, ToyModel.letters(), ToyModel.preparer(),
                new KvCacheManager(blocks, blockSize), matcher -> {
                    created.set(TenantSchedulers.create(policy, tenants, CostWeights.DEFAULT, matcher, ticker,
                            SchedulerStats.disabled()));
                    return created.get();
                }, ticker, new LocalEngine.Limits(maxBatchTokens, maxRunning, tenants, preemption, overlap));
        this.queue = created.get();
    }

    /** Submits the arrivals at their steps and runs the engine until every request has ended; sinks in order. */
    List<RecordingSink> run(List<Arrival> arrivals) {
        return run(arrivals, List.of());
    }

    /** As {@link #run(List)}, aborting requests at given steps. */
    List<RecordingSink> run(List<Arrival> arrivals, List<Abort> aborts) {
        List<Integer> order = new ArrayList<>();
        for (int i = 0; i < arrivals.size(); i++) {
            order.add(i);
        }
        order.sort(Comparator.comparingInt(i -> arrivals.get(i).step()));
        RecordingSink[] sinks = new RecordingSink[arrivals.size()];
        int next = 0;
        int step = 0;
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (true) {
            // Arrivals of this step are submitted while the loop waits inside it (or idles); then it may run.
            next = submitDue(arrivals, order, sinks, next, step);
            if (tryEnterStep()) {
                step++;
                next = submitDue(arrivals, order, sinks, next, step);
                for (Abort a : aborts) {
                    if (a.step() == step) {
                        engine.abort(a.requestId());
                    }
                }
                toy.gate.release();
                continue;
            }
            boolean allDone = true;
            for (int i = 0; i < next; i++) {
                allDone &= sinks[order.get(i)].isDone();
            }
            if (allDone) {
                if (next == order.size()) {
                    return List.of(sinks);
                }
                step = Math.max(step, arrivals.get(order.get(next)).step()); // idle until the next arrival
            }
            if (System.nanoTime() > deadline) {
                throw new AssertionError("the engine did not finish within 60 s; at step " + step);
            }
        }
    }

    /** Submits the arrivals of steps up to {@code step}, from {@code next} on; the index after the last submitted. */
    private int submitDue(List<Arrival> arrivals, List<Integer> order, RecordingSink[] sinks, int next, int step) {
        for (; next < order.size() && arrivals.get(order.get(next)).step() <= step; next++) {
            int i = order.get(next);
            sinks[i] = new RecordingSink();
            engine.submit(arrivals.get(i).request(), sinks[i]);
        }
        return next;
    }

    private boolean tryEnterStep() {
        try {
            return toy.stepsEntered.tryAcquire(1, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    @Override
    public void close() {
        Semaphore gate = toy.gate;
        toy.gate = null;
        gate.release(1_000_000);
        engine.close();
    }
}
