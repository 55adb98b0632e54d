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
import java.util.SplittableRandom;

/**
 * Replays a {@link Scenario} under a {@link Policy} through the real scheduler, step by step on virtual
 * time (see the package comment for the engine model), optionally with the engine's preemption for a fair share
 * ({@link SimPreemption}). Tenants with a closed loop get their next request the moment one completes.
 * Single-threaded; one instance per run.
 */
final class Simulator {

    private static final double SAMPLE_SECONDS = 5;
    private static final double JAIN_WINDOW_SECONDS = 10;

    private final Scenario scenario;
    private final Policy policy;
    private final SimPreemption preemption;
    private final Map<String, Double> weightOf = new HashMap<>();
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
    private final List<List<Double>> e2es = new ArrayList<>();
    /** Per closed-loop tenant: the stream its requests' sizes come from. */
    private final Map<String, SplittableRandom> closedLoops = new HashMap<>();
    private long nextClosedId = 1L << 40;

    // Running batch.
    private static final class Running implements SimPreemption.Candidate {
        final Ticket<SimRequest> ticket;
        final int cached;
        final long seq;
        int generated;
        /** Input tokens still to prefill (a resumed request: its recompute). */
        int prefillLeft;
        /** This step's prefill chunk. */
        int chunk;
        boolean firstToken;
        double protectedUntil = Double.NEGATIVE_INFINITY;

        Running(Ticket<SimRequest> ticket, int cached, long seq, int prefillLeft) {
            this.ticket = ticket;
            this.cached = cached;
            this.seq = seq;
            this.prefillLeft = prefillLeft;
        }

        @Override
        public String tenant() {
            return ticket.work().tenant();
        }

        @Override
        public long admittedSeq() {
            return seq;
        }

        @Override
        public long reservedTokens() {
            return ticket.work().input() + ticket.work().output();
        }

        @Override
        public double protectedUntil() {
            return protectedUntil;
        }
    }

    private final List<Running> running = new ArrayList<>();
    /** Preempted requests waiting to resume, oldest admission first. */
    private final List<Running> resume = new ArrayList<>();
    private long kvUsed;
    /** Input tokens admitted or resumed in this step (the whole-input model's budget check). */
    private long stepPrefill;
    /** Chunked model: prefill the running requests still want, at most a step's budget. */
    private long runningPrefill;
    private int stepAdmitted;
    private long admissions;
    private long preemptions;
    private long recomputed;
    /** Set by {@link #room} for the request it just let in by preemption. */
    private List<Running> victims;
    /** While requests wait to resume, only a tenant under its share may start. */
    private boolean onlyUnderShare;

    private Simulator(Scenario scenario, Policy policy, SimPreemption preemption) {
        this.scenario = scenario;
        this.policy = policy;
        this.preemption = preemption;
        this.engine = scenario.engine();
        this.cache = new PrefixCache(engine.cacheTokens());
        this.ids = scenario.loads().stream().map(TenantLoad::id).toList();
        int n = ids.size();
        this.tenantWeight = scenario.loads().stream().mapToDouble(l -> l.spec().weight()).toArray();
        for (int i = 0; i < n; i++) {
            index.put(ids.get(i), i);
            ttfts.add(new ArrayList<>());
            e2es.add(new ArrayList<>());
            TenantLoad l = scenario.loads().get(i);
            weightOf.put(l.id(), l.spec().weight());
            if (l.inFlight() > 0) {
                closedLoops.put(l.id(), new SplittableRandom(scenario.seed() * 31 + i));
            }
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
        return new Simulator(scenario, policy, null).run();
    }

    /** With the engine's preemption for a fair share, bounded by {@code window} virtual seconds. */
    static RunResult runPreemptive(Scenario scenario, Policy policy, double window) {
        return new Simulator(scenario, policy, new SimPreemption(window)).run();
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
            victims = null;
            boolean budget = engine.chunkedPrefill() ? runningPrefill + stepPrefill < engine.prefillBudget()
                    : stepAdmitted == 0 || stepPrefill + r.input() - cache.peek(r) <= engine.prefillBudget();
            boolean fits = !onlyUnderShare && running.size() + stepAdmitted + 1 <= engine.maxBatch()
                    && kvUsed + r.input() + r.output() <= engine.kvTokens() && budget;
            if (fits || preemption == null) {
                return fits;
            }
            victims = preemption.victims(r.tenant(), r.input() + r.output(), running,
                    engine.maxBatch() - running.size() - stepAdmitted, engine.kvTokens() - kvUsed, engine.maxBatch(),
                    weightOf, now);
            return victims != null;
        }

        @Override
        public int slots() {
            return engine.maxBatch();
        }
    };

    /** The policy's choice; else, with preemption, the first request of a tenant under its share. */
    private Optional<Ticket<SimRequest>> nextAdmission() {
        Optional<Ticket<SimRequest>> t = scheduler.next(room);
        if (t.isPresent() || preemption == null || running.isEmpty()) {
            return t;
        }
        List<String> queuedTenants = new ArrayList<>();
        for (int i = 0; i < ids.size(); i++) {
            if (queued[i] > 0) {
                queuedTenants.add(ids.get(i));
            }
        }
        for (String tenant : preemption.underShare(queuedTenants, running, engine.maxBatch(), weightOf)) {
            t = scheduler.nextOf(tenant, room);
            if (t.isPresent()) {
                return t;
            }
        }
        return Optional.empty();
    }

    /** Victims chosen for the request just admitted leave the batch, keeping what they generated. */
    private void preemptVictims() {
        if (victims == null) {
            return;
        }
        for (Running v : victims) {
            running.remove(v);
            kvUsed -= v.reservedTokens();
            resume.add(v);
            preemptions++;
        }
        resume.sort(java.util.Comparator.comparingLong(Running::admittedSeq));
        victims = null;
    }

    /** Preempted requests resume first, oldest first, while slots and memory allow; each recomputes its tail. */
    private void resumeWaiting() {
        while (!resume.isEmpty() && running.size() < engine.maxBatch()
                && kvUsed + resume.getFirst().reservedTokens() <= engine.kvTokens()) {
            Running r = resume.removeFirst();
            int tokens = SimPreemption.recomputeTokens(r.ticket.work().input() + r.generated);
            kvUsed += r.reservedTokens();
            stepPrefill += tokens;
            r.prefillLeft = tokens;
            recomputed += tokens;
            r.protectedUntil = now + preemption.window();
            running.add(r);
        }
    }

    /**
     * Sets each running request's prefill chunk for this step and returns the step's prefill tokens. The whole-input
     * model prefills everything admitted; the chunked one hands out the budget, running prefills first (with
     * preemption, tenants furthest below their share first, as the engine does), then what was admitted.
     */
    private long planPrefill() {
        List<Running> prefilling = new ArrayList<>();
        for (Running run : running) {
            run.chunk = 0;
            if (run.prefillLeft > 0) {
                prefilling.add(run);
            }
        }
        if (preemption != null && engine.chunkedPrefill()) {
            Map<String, Double> ratio = preemption.slotRatios(running, engine.maxBatch(), weightOf);
            prefilling.sort(java.util.Comparator.<Running>comparingDouble(r -> ratio.get(r.tenant()))
                    .thenComparingLong(Running::admittedSeq));
        }
        long budget = engine.chunkedPrefill() ? engine.prefillBudget() : Long.MAX_VALUE;
        long total = 0;
        for (Running run : prefilling) {
            run.chunk = (int) Math.min(run.prefillLeft, budget);
            budget -= run.chunk;
            total += run.chunk;
        }
        return total;
    }

    /** A closed-loop client sends its next request the moment the last one ended. */
    private void offerClosedLoop(String tenant) {
        SplittableRandom rnd = closedLoops.get(tenant);
        TenantLoad l = scenario.loads().get(index.get(tenant));
        int input = rnd.nextInt(l.inputMin(), l.inputMax() + 1);
        int output = rnd.nextInt(l.outputMin(), l.outputMax() + 1);
        offer(new SimRequest(nextClosedId++, tenant, now, input, output, l.outputMax(), -1, 0));
    }

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

        for (TenantLoad l : scenario.loads()) {
            for (int c = 0; c < l.inFlight(); c++) {
                offerClosedLoop(l.id());
            }
        }
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
            runningPrefill = 0;
            for (Running run : running) {
                runningPrefill += run.prefillLeft;
            }
            if (preemption != null) {
                resumeWaiting();
            }
            onlyUnderShare = !resume.isEmpty();
            List<Running> admitted = new ArrayList<>();
            for (Optional<Ticket<SimRequest>> t = nextAdmission(); t.isPresent(); t = nextAdmission()) {
                boolean preempted = victims != null && !victims.isEmpty();
                preemptVictims();
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
                admitted.add(new Running(t.get(), cached, admissions++, r.input() - cached));
                if (preempted) {
                    break; // as in the engine: a step that preempted for a share admits only that request
                }
            }
            if (running.isEmpty() && admitted.isEmpty() && resume.isEmpty()) {
                if (nextArrival >= arrivals.size()) {
                    break;
                }
                now = Math.max(now, Math.min(arrivals.get(nextArrival).arrival(), scenario.seconds()));
                continue;
            }
            running.addAll(admitted);
            now += engine.stepSeconds(planPrefill(), running.size());

            // A token for every request whose input is all in (a decode, or the last prefill chunk); that is the
            // first token of a request admitted with its prompt.
            List<String> ended = new ArrayList<>();
            for (var it = running.iterator(); it.hasNext(); ) {
                Running run = it.next();
                SimRequest r = run.ticket.work();
                int ti = index.get(r.tenant());
                run.prefillLeft -= run.chunk;
                if (run.prefillLeft > 0) {
                    continue;
                }
                if (!run.firstToken) {
                    run.firstToken = true;
                    ttfts.get(ti).add(now - r.arrival());
                }
                run.generated++;
                scheduler.progress(run.ticket, 1);
                service[ti] += weights.output();
                if (run.generated == r.output()) {
                    scheduler.complete(run.ticket, new ActualCost(r.input(), run.cached, r.output()));
                    kvUsed -= r.input() + r.output();
                    completed[ti]++;
                    completedRequests++;
                    completedTokens += r.input() + r.output();
                    e2es.get(ti).add(now - r.arrival());
                    it.remove();
                    if (closedLoops.containsKey(r.tenant())) {
                        ended.add(r.tenant());
                    }
                }
            }
            ended.forEach(this::offerClosedLoop);

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
            double[] e2e = e2es.get(i).stream().mapToDouble(Double::doubleValue).sorted().toArray();
            tenants.add(new RunResult.TenantResult(ids.get(i), offered[i], rejected[i], completed[i], sorted, svc,
                    e2e));
        }
        return new RunResult(label(policy) + (preemption == null ? "" : " + preemption"), seconds,
                completedTokens / seconds, completedRequests / seconds, maxDiff,
                jainWindows == 0 ? Double.NaN : jainSum / jainWindows,
                promptTokens == 0 ? 0 : (double) cachedTokens / promptTokens, tenants,
                sampleTimes.stream().mapToDouble(Double::doubleValue).toArray(),
                diffSamples.stream().mapToDouble(Double::doubleValue).toArray(), preemptions, recomputed);
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
