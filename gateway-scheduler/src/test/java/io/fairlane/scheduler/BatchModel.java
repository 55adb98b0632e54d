package io.fairlane.scheduler;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.SplittableRandom;

/**
 * The serving model of the VTC and DLPM fairness analyses, in steps: a running batch that holds at most
 * {@code memory} reserved tokens (input + max output of each running request); each step first admits
 * the scheduler's choices until one does not fit (stop at the first misfit), then decodes one token for
 * every running request, charging it through {@code progress}, and completes requests that reached their
 * output length. Service is tallied per tenant as it is delivered: extend tokens × w_e at admission,
 * w_q per decoded token.
 *
 * <p>Tenants marked backlogged are topped up to {@code backlog} queued requests before every decision,
 * so they are never without queued work. Confined to the test thread.
 */
final class BatchModel {

    /** A request: sizes only. {@code cached} is what the prefix matcher reports for it. */
    record Req(long id, String tenant, int input, int cached, int output, int maxOutput) {
        @Override
        public String toString() {
            return "Req[" + id + " " + tenant + " in=" + input + " cached=" + cached + " out=" + output + "]";
        }
    }

    /** Draws request sizes for one tenant. */
    record Shape(int minInput, int maxInput, int minOutput, int maxOutput, double cachedFraction,
                 int outputOverestimate) {

        Req draw(SplittableRandom rnd, long id, String tenant) {
            int in = rnd.nextInt(minInput, maxInput + 1);
            int out = rnd.nextInt(minOutput, maxOutput + 1);
            int cached = cachedFraction > 0 ? (int) (in * cachedFraction * rnd.nextDouble()) : 0;
            int overestimate = outputOverestimate > 0 ? rnd.nextInt(outputOverestimate + 1) : 0;
            return new Req(id, tenant, in, cached, out, out + overestimate);
        }
    }

    private record Running(Ticket<Req> ticket, int[] generated) {
    }

    final TenantScheduler<Req> scheduler;
    private final CostWeights weights;
    private final long memory;
    private final int backlog;
    private final SplittableRandom rnd;
    private final Map<String, Shape> shapes = new HashMap<>();
    private final Map<String, Integer> queued = new HashMap<>();
    private final Map<String, Boolean> backlogged = new HashMap<>();
    private final Map<String, Double> service = new HashMap<>();
    private final List<Running> running = new ArrayList<>();
    private long reserved;
    private long nextId;
    private int maxInputSeen;

    BatchModel(Policy policy, List<TenantSpec> tenants, long memory, int backlog, SplittableRandom rnd) {
        this.weights = CostWeights.DEFAULT;
        this.scheduler = TenantSchedulers.create(policy, tenants, weights, Req::cached, new ManualTicker(),
                SchedulerStats.disabled());
        this.memory = memory;
        this.backlog = backlog;
        this.rnd = rnd;
        for (TenantSpec t : tenants) {
            queued.put(t.id(), 0);
            service.put(t.id(), 0.0);
            backlogged.put(t.id(), false);
        }
    }

    void shape(String tenant, Shape shape) {
        if (shape.maxInput() + shape.maxOutput() + shape.outputOverestimate() > memory) {
            throw new IllegalArgumentException("a request of " + tenant + " could never fit in " + memory);
        }
        shapes.put(tenant, shape);
    }

    void backlogged(String tenant, boolean on) {
        backlogged.put(tenant, on);
    }

    double service(String tenant) {
        return service.get(tenant);
    }

    /** The longest input admitted so far (L_input of the bounds). */
    int maxInputSeen() {
        return maxInputSeen;
    }

    private void topUp() {
        for (var e : backlogged.entrySet()) {
            if (!e.getValue()) {
                continue;
            }
            String tenant = e.getKey();
            while (queued.get(tenant) < backlog) {
                Req r = shapes.get(tenant).draw(rnd, nextId++, tenant);
                Admission<Req> a = scheduler.offer(tenant, r, new CostEstimate(r.input(), 0, r.maxOutput()),
                        ServiceTier.DEFAULT);
                if (!(a instanceof Admission.Queued<Req>)) {
                    throw new AssertionError("model offer rejected: " + a);
                }
                queued.merge(tenant, 1, Integer::sum);
            }
        }
    }

    void step() {
        Capacity<Req> room = (r, e) -> reserved + e.reservedTokens() <= memory;
        while (true) {
            topUp();
            Optional<Ticket<Req>> next = scheduler.next(room);
            if (next.isEmpty()) {
                break;
            }
            Req r = next.get().work();
            reserved += r.input() + r.maxOutput();
            queued.merge(r.tenant(), -1, Integer::sum);
            maxInputSeen = Math.max(maxInputSeen, r.input());
            service.merge(r.tenant(), weights.extend() * (r.input() - r.cached()), Double::sum);
            running.add(new Running(next.get(), new int[1]));
        }
        for (Iterator<Running> it = running.iterator(); it.hasNext(); ) {
            Running run = it.next();
            Req r = run.ticket().work();
            run.generated()[0]++;
            scheduler.progress(run.ticket(), 1);
            service.merge(r.tenant(), weights.output(), Double::sum);
            if (run.generated()[0] == r.output()) {
                scheduler.complete(run.ticket(), new ActualCost(r.input(), r.cached(), r.output()));
                reserved -= r.input() + r.maxOutput();
                it.remove();
            }
        }
    }
}
