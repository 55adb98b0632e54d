package io.fairlane.scheduler.sim;

import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Admission;
import io.fairlane.scheduler.Capacity;
import io.fairlane.scheduler.CostEstimate;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantScheduler;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.Ticker;
import io.fairlane.scheduler.Ticket;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Replays a {@link Scenario} under a {@link Policy} through the real scheduler, step by step on virtual
 * time (see the package comment for the engine model). Single-threaded; one instance per run.
 */
final class Simulator {

    private static final double SAMPLE_SECONDS = 5;
    private static final double JAIN_WINDOW_SECONDS = 10;

    private final Scenario scenario;
    private final Policy policy;
    private final EngineModel engine;
    private final CostWeights weights = CostWeights.DEFAULT;
    private final PrefixCache cache;
    private final List<String> ids;
    private final double[] tenantWeight;
    private final Map<String, Integer> index = new HashMap<>();

    private double now;
    private final TenantScheduler<SimRequest> scheduler;

    // Per tenant.
    private final int[] queued;
    private final int[] offered;
    private final int[] rejected;
    private final int[] completed;
    private final double[] service;
    private final List<List<Double>> ttfts = new ArrayList<>();

    // Running batch.
    private record Running(Ticket<SimRequest> ticket, int cached, int[] generated) {
    }

    private final List<Running> running = new ArrayList<>();
    private long kvUsed;
    private long stepPrefill;
    private int stepAdmitted;

    private Simulator(Scenario scenario, Policy policy) {
        this.scenario = scenario;
        this.policy = policy;
        this.engine = scenario.engine();
        this.cache = new PrefixCache(engine.cacheTokens());
        this.ids = scenario.loads().stream().map(TenantLoad::id).toList();
        int n = ids.size();
        this.tenantWeight = scenario.loads().stream().mapToDouble(l -> l.spec().weight()).toArray();
        for (int i = 0; i < n; i++) {
            index.put(ids.get(i), i);
            ttfts.add(new ArrayList<>());
        }
        queued = new int[n];
        offered = new int[n];
        rejected = new int[n];
        completed = new int[n];
        service = new double[n];
        Ticker clock = () -> (long) (now * 1e9);
        scheduler = TenantSchedulers.create(policy, scenario.specs(), weights, cache::peek, clock,
                SchedulerStats.disabled());
    }

    static RunResult run(Scenario scenario, Policy policy) {
        return new Simulator(scenario, policy).run();
    }

    static String label(Policy policy) {
        return switch (policy) {
            case Policy.Fcfs f -> "FCFS";
            case Policy.DeficitRoundRobin d -> "DRR";
            case Policy.VirtualTokenCounter v -> "VTC";
            case Policy.DeficitLongestPrefixMatch d -> "DLPM";
        };
    }

    private final Capacity<SimRequest> room = new Capacity<>() {
        @Override
        public boolean fits(SimRequest r, CostEstimate estimate) {
            if (running.size() + stepAdmitted + 1 > engine.maxBatch()
                    || kvUsed + r.input() + r.output() > engine.kvTokens()) {
                return false;
            }
            long extend = r.input() - cache.peek(r);
            return stepAdmitted == 0 || stepPrefill + extend <= engine.prefillBudget();
        }

        @Override
        public int slots() {
            return engine.maxBatch();
        }
    };

    private RunResult run() {
        List<SimRequest> arrivals = scenario.arrivals();
        int n = ids.size();
        int nextArrival = 0;
        long promptTokens = 0;
        long cachedTokens = 0;
        long completedTokens = 0;
        long completedRequests = 0;

        // Fairness accounting.
        double[][] pairDiff = new double[n][n];
        double[][] pairMin = new double[n][n];
        double[][] pairMax = new double[n][n];
        double maxDiff = 0;
        List<Double> sampleTimes = new ArrayList<>();
        List<double[]> serviceSamples = new ArrayList<>();
        List<Double> diffSamples = new ArrayList<>();
        double nextSample = 0;
        double windowStart = 0;
        double[] windowService = new double[n];
        int[] windowBacklogged = new int[n];
        int windowSteps = 0;
        double jainSum = 0;
        int jainWindows = 0;

        while (true) {
            while (nextArrival < arrivals.size() && arrivals.get(nextArrival).arrival() <= now) {
                offer(arrivals.get(nextArrival++));
            }
            while (now >= nextSample) {
                sampleTimes.add(nextSample);
                serviceSamples.add(service.clone());
                diffSamples.add(currentMaxPairDiff(pairDiff));
                nextSample += SAMPLE_SECONDS;
            }
            if (now >= scenario.seconds()) {
                break;
            }
            boolean[] backlogged = new boolean[n];
            for (int i = 0; i < n; i++) {
                backlogged[i] = queued[i] > 0;
            }
            double[] before = service.clone();

            // Admission.
            stepPrefill = 0;
            stepAdmitted = 0;
            List<Running> admitted = new ArrayList<>();
            for (Optional<Ticket<SimRequest>> t = scheduler.next(room); t.isPresent(); t = scheduler.next(room)) {
                SimRequest r = t.get().work();
                int cached = cache.admit(r);
                int ti = index.get(r.tenant());
                queued[ti]--;
                kvUsed += r.input() + r.output();
                stepPrefill += r.input() - cached;
                stepAdmitted++;
                promptTokens += r.input();
                cachedTokens += cached;
                service[ti] += weights.extend() * (r.input() - cached);
                admitted.add(new Running(t.get(), cached, new int[1]));
            }
            if (running.isEmpty() && admitted.isEmpty()) {
                if (nextArrival >= arrivals.size()) {
                    break;
                }
                now = Math.max(now, Math.min(arrivals.get(nextArrival).arrival(), scenario.seconds()));
                continue;
            }
            running.addAll(admitted);
            now += engine.stepSeconds(stepPrefill, running.size());

            // One token for every request in the batch; first tokens of the newly admitted ones.
            for (Running run : admitted) {
                SimRequest r = run.ticket().work();
                ttfts.get(index.get(r.tenant())).add(now - r.arrival());
            }
            for (var it = running.iterator(); it.hasNext(); ) {
                Running run = it.next();
                SimRequest r = run.ticket().work();
                int ti = index.get(r.tenant());
                run.generated()[0]++;
                scheduler.progress(run.ticket(), 1);
                service[ti] += weights.output();
                if (run.generated()[0] == r.output()) {
                    scheduler.complete(run.ticket(), new ActualCost(r.input(), run.cached(), r.output()));
                    kvUsed -= r.input() + r.output();
                    completed[ti]++;
                    completedRequests++;
                    completedTokens += r.input() + r.output();
                    it.remove();
                }
            }

            // Service difference between two tenants over each interval in which both stay backlogged:
            // the spread (max - min) of their accumulated difference, which bounds every sub-interval.
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    if (backlogged[i] && backlogged[j]) {
                        pairDiff[i][j] += (service[i] - before[i]) / tenantWeight[i]
                                - (service[j] - before[j]) / tenantWeight[j];
                        pairMin[i][j] = Math.min(pairMin[i][j], pairDiff[i][j]);
                        pairMax[i][j] = Math.max(pairMax[i][j], pairDiff[i][j]);
                        maxDiff = Math.max(maxDiff, pairMax[i][j] - pairMin[i][j]);
                    } else {
                        pairDiff[i][j] = 0;
                        pairMin[i][j] = 0;
                        pairMax[i][j] = 0;
                    }
                }
            }
            // Jain's index windows, over the tenants backlogged for 90% of the window's steps.
            windowSteps++;
            for (int i = 0; i < n; i++) {
                windowService[i] += (service[i] - before[i]) / tenantWeight[i];
                windowBacklogged[i] += backlogged[i] ? 1 : 0;
            }
            if (now - windowStart >= JAIN_WINDOW_SECONDS) {
                double[] busy = new double[n];
                int m = 0;
                for (int i = 0; i < n; i++) {
                    if (windowBacklogged[i] >= 0.9 * windowSteps) {
                        busy[m++] = windowService[i];
                    }
                }
                if (m >= 2) {
                    jainSum += jain(Arrays.copyOf(busy, m));
                    jainWindows++;
                }
                windowStart = now;
                windowSteps = 0;
                Arrays.fill(windowService, 0);
                Arrays.fill(windowBacklogged, 0);
            }
        }

        double seconds = Math.max(now, 1e-9);
        List<RunResult.TenantResult> tenants = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            double[] sorted = ttfts.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double[] svc = new double[serviceSamples.size()];
            for (int k = 0; k < svc.length; k++) {
                svc[k] = serviceSamples.get(k)[i];
            }
            tenants.add(new RunResult.TenantResult(ids.get(i), offered[i], rejected[i], completed[i], sorted, svc));
        }
        return new RunResult(label(policy), seconds, completedTokens / seconds, completedRequests / seconds, maxDiff,
                jainWindows == 0 ? Double.NaN : jainSum / jainWindows,
                promptTokens == 0 ? 0 : (double) cachedTokens / promptTokens, tenants,
                sampleTimes.stream().mapToDouble(Double::doubleValue).toArray(),
                diffSamples.stream().mapToDouble(Double::doubleValue).toArray());
    }

    private void offer(SimRequest r) {
        int ti = index.get(r.tenant());
        offered[ti]++;
        Admission<SimRequest> a = scheduler.offer(r.tenant(), r, new CostEstimate(r.input(), 0, r.maxOutput()),
                ServiceTier.DEFAULT);
        if (a instanceof Admission.Queued<SimRequest>) {
            queued[ti]++;
        } else {
            rejected[ti]++;
        }
    }

    private static double currentMaxPairDiff(double[][] pairDiff) {
        double m = 0;
        for (double[] row : pairDiff) {
            for (double d : row) {
                m = Math.max(m, Math.abs(d));
            }
        }
        return m;
    }

    static double jain(double[] x) {
        double sum = 0;
        double sumSq = 0;
        for (double v : x) {
            sum += v;
            sumSq += v * v;
        }
        return sumSq == 0 ? 1 : sum * sum / (x.length * sumSq);
    }
}
