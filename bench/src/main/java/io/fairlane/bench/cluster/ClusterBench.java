package io.fairlane.bench.cluster;

import io.fairlane.bench.BenchArgs;
import io.fairlane.engine.kv.BlockHash;
import io.fairlane.engine.kv.BlockHasher;
import io.fairlane.gateway.cluster.AffinityRing;
import io.fairlane.gateway.cluster.PrefixKeys;
import io.fairlane.gateway.config.SharedStateConfig;
import io.fairlane.gateway.shared.RedisLink;
import io.fairlane.gateway.shared.SharedRateLimiter;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two measurements, printed as one table each.
 *
 * <p>{@code routing}: a multi-tenant shared-prefix workload (tenants, each with a long system prompt shared by its
 * conversations, each conversation's history growing turn by turn) routed over three replicas, once by prefix
 * affinity ({@link AffinityRing} over {@link PrefixKeys}, the engine's own block hashes) and once round robin. Each
 * replica is modelled by an LRU cache of KV blocks of a fixed size and a prefill cost proportional to the tokens it
 * does not find cached, with concurrency as the ring sees it; replica 3 is removed at two thirds of the run. It
 * measures routing (where prefixes land), not the engine's kernels: TTFT and throughput are in prefill-token units.
 *
 * <p>{@code rpm}: two routers, each its own {@link RedisLink} and {@link SharedRateLimiter} on one Redis, hammer one
 * tenant's requests-per-minute budget from several threads; the steady rate granted (after the initial burst of
 * one minute's budget) is compared with the configured RPM.
 */
public final class ClusterBench {

    private ClusterBench() {
    }

    public static void main(String[] argv) throws Exception {
        BenchArgs args = BenchArgs.parse(List.of(argv), Set.of("mode", "redis", "rpm", "seconds", "tenants",
                "conversations", "turns", "system-blocks", "cache-blocks", "epsilon", "seed", "key-blocks", "gap"));
        String mode = args.get("mode", "routing");
        if (mode.equals("routing")) {
            routing(args);
        } else {
            rpm(args);
        }
    }

    private static final int BLOCK = 16;

    /** One replica: an LRU set of cached block hashes. */
    private static final class Replica {
        final LinkedHashMap<BlockHash, Boolean> lru = new LinkedHashMap<>(16, 0.75f, true);
        final int capacity;
        long queried;
        long hit;
        long busyUntil;

        Replica(int capacity) {
            this.capacity = capacity;
        }

        /** Serves a prompt: returns the tokens that had to be computed. */
        long serve(BlockHash[] blocks) {
            int cached = 0;
            while (cached < blocks.length && lru.containsKey(blocks[cached])) {
                lru.get(blocks[cached]);
                cached++;
            }
            for (BlockHash b : blocks) {
                lru.put(b, Boolean.TRUE);
            }
            while (lru.size() > capacity) {
                lru.remove(lru.keySet().iterator().next());
            }
            queried += (long) blocks.length * BLOCK;
            hit += (long) cached * BLOCK;
            return (long) (blocks.length - cached) * BLOCK;
        }
    }

    private record Request(String tenant, int[] tokens) {
    }

    private static List<Request> workload(BenchArgs args) {
        int tenants = (int) args.longValue("tenants", 4);
        int conversations = (int) args.longValue("conversations", 24);
        int turns = (int) args.longValue("turns", 8);
        int systemBlocks = (int) args.longValue("system-blocks", 64);
        Random random = new Random(args.longValue("seed", 7));
        List<List<Request>> perConversation = new ArrayList<>();
        for (int t = 0; t < tenants; t++) {
            int[] system = random.ints(systemBlocks * BLOCK, 0, 32000).toArray();
            for (int c = 0; c < conversations; c++) {
                List<Request> turnsOf = new ArrayList<>();
                int[] history = system;
                for (int k = 0; k < turns; k++) {
                    int[] grown = java.util.Arrays.copyOf(history, history.length + 4 * BLOCK);
                    for (int i = history.length; i < grown.length; i++) {
                        grown[i] = random.nextInt(32000);
                    }
                    history = grown;
                    turnsOf.add(new Request("tenant-" + t, history));
                }
                perConversation.add(turnsOf);
            }
        }
        // Interleave conversations turn by turn, as concurrent users would.
        List<Request> out = new ArrayList<>();
        for (int k = 0; k < turns; k++) {
            List<Request> round = new ArrayList<>();
            for (List<Request> c : perConversation) {
                round.add(c.get(k));
            }
            java.util.Collections.shuffle(round, random);
            out.addAll(round);
        }
        return out;
    }

    private record Outcome(double hitRatio, double meanTtft, double throughput, double jain, double hitBefore,
                           double hitAfterLoss) {
    }

    private static Outcome run(List<Request> requests, boolean affinity, BenchArgs args) {
        int cacheBlocks = (int) args.longValue("cache-blocks", 1024);
        int keyBlocks = (int) args.longValue("key-blocks", args.longValue("system-blocks", 64) + 4);
        long gap = args.longValue("gap", 120);
        java.util.PriorityQueue<long[]> running = new java.util.PriorityQueue<>((x, y) -> Long.compare(x[0], y[0]));
        List<String> names = List.of("r1", "r2", "r3");
        double epsilon = args.doubleValue("epsilon", 0.25);
        Map<String, Replica> replicas = new LinkedHashMap<>();
        for (String r : List.of("r1", "r2", "r3")) {
            replicas.put(r, new Replica(cacheBlocks));
        }
        AffinityRing ring = new AffinityRing(epsilon, 64);
        ring.replicas(replicas.keySet());
        long clock = 0;
        double ttftSum = 0;
        Map<String, double[]> ttftPerTenant = new HashMap<>();
        int killAt = requests.size() * 2 / 3;
        long hitBefore = 0;
        long queriedBefore = 0;
        long computedAfter = 0;
        long queriedAfter = 0;
        int rr = 0;
        List<String> live = new ArrayList<>(replicas.keySet());
        for (int i = 0; i < requests.size(); i++) {
            if (i == killAt) {
                for (Replica r : replicas.values()) {
                    hitBefore += r.hit;
                    queriedBefore += r.queried;
                }
                live.remove("r3");
                ring.replicas(live);
            }
            Request q = requests.get(i);
            BlockHash[] blocks = BlockHasher.hashFullBlocks(q.tokens(), q.tokens().length, BLOCK, "tenant:" + q.tenant());
            String chosen;
            if (affinity) {
                while (!running.isEmpty() && running.peek()[0] <= clock) {
                    ring.release(names.get((int) running.poll()[1]));
                }
                BlockHash key = PrefixKeys.key(q.tokens(), BLOCK, "tenant:" + q.tenant(), keyBlocks);
                chosen = ring.acquire(key == null ? null : PrefixKeys.position(key)).replica();
            } else {
                chosen = live.get(rr++ % live.size());
            }
            Replica r = replicas.get(chosen);
            long computed = r.serve(blocks);
            if (i >= killAt) {
                computedAfter += computed;
                queriedAfter += (long) blocks.length * BLOCK;
            }
            // Prefill time: one unit per computed token, queued behind the replica's earlier work; a request
            // arrives every `gap` units.
            clock += gap;
            long start = Math.max(clock, r.busyUntil);
            r.busyUntil = start + computed + 50;
            ttftSum += r.busyUntil - clock;
            double[] t = ttftPerTenant.computeIfAbsent(q.tenant(), k -> new double[2]);
            t[0] += r.busyUntil - clock;
            t[1]++;
            if (affinity) {
                running.add(new long[] {r.busyUntil, names.indexOf(chosen)});
            }
        }
        long end = replicas.values().stream().mapToLong(x -> x.busyUntil).max().orElse(clock);
        long hits = replicas.values().stream().mapToLong(x -> x.hit).sum();
        long queried = replicas.values().stream().mapToLong(x -> x.queried).sum();
        // Jain's index over the tenants' speed of service (1 / their mean TTFT).
        double sum = ttftPerTenant.values().stream().mapToDouble(v -> v[1] / v[0]).sum();
        double squares = ttftPerTenant.values().stream().mapToDouble(v -> (v[1] / v[0]) * (v[1] / v[0])).sum();
        return new Outcome((double) hits / queried, ttftSum / requests.size(),
                requests.size() * 1e6 / Math.max(end, clock), sum * sum / (ttftPerTenant.size() * squares),
                (double) hitBefore / queriedBefore, 1 - (double) computedAfter / queriedAfter);
    }

    private static void routing(BenchArgs args) {
        List<Request> requests = workload(args);
        Outcome a = run(requests, true, args);
        Outcome rr = run(requests, false, args);
        System.out.printf("requests %d over 3 replicas (r3 removed after two thirds)%n", requests.size());
        System.out.printf("%-16s %10s %14s %16s %8s %12s %14s%n", "routing", "hit ratio", "mean TTFT (u)",
                "throughput (/Mu)", "Jain", "hit before", "hit after loss");
        for (var e : List.of(Map.entry("prefix-affinity", a), Map.entry("round-robin", rr))) {
            Outcome o = e.getValue();
            System.out.printf("%-16s %10.3f %14.0f %16.1f %8.3f %12.3f %14.3f%n", e.getKey(), o.hitRatio(),
                    o.meanTtft(), o.throughput(), o.jain(), o.hitBefore(), o.hitAfterLoss());
        }
        System.out.printf("affinity / round robin: hit ratio %.2fx, mean TTFT %.2fx, throughput %.2fx%n",
                a.hitRatio() / rr.hitRatio(), a.meanTtft() / rr.meanTtft(), a.throughput() / rr.throughput());
    }

    private static void rpm(BenchArgs args) throws Exception {
        URI redis = URI.create(args.required("redis"));
        long rpm = args.longValue("rpm", 600);
        long seconds = args.longValue("seconds", 30);
        SharedStateConfig config = SharedStateConfig.NONE.withRedis(redis);
        String tenant = "bench-" + System.nanoTime();
        RateLimits limits = new RateLimits(rpm, 0);
        AtomicLong granted = new AtomicLong();
        AtomicLong grantedSteady = new AtomicLong();
        long start = System.nanoTime();
        long end = start + Duration.ofSeconds(seconds).toNanos();
        AtomicLong steadyFrom = new AtomicLong(Long.MAX_VALUE);
        List<Thread> threads = new ArrayList<>();
        List<RedisLink> links = new ArrayList<>();
        for (int router = 0; router < 2; router++) {
            RedisLink link = RedisLink.open(config, Ticker.system(), new SimpleMeterRegistry());
            links.add(link);
            SharedRateLimiter limiter = new SharedRateLimiter(link, Ticker.system());
            for (int i = 0; i < 4; i++) {
                threads.add(Thread.ofPlatform().start(() -> {
                    while (System.nanoTime() < end) {
                        if (limiter.reserve(tenant, limits, 0) instanceof SharedRateLimiter.Granted) {
                            granted.incrementAndGet();
                            if (System.nanoTime() >= steadyFrom.get()) {
                                grantedSteady.incrementAndGet();
                            }
                        } else {
                            steadyFrom.compareAndSet(Long.MAX_VALUE, System.nanoTime());
                            try {
                                Thread.sleep(2);
                            } catch (InterruptedException e) {
                                return;
                            }
                        }
                    }
                }));
            }
        }
        for (Thread t : threads) {
            t.join();
        }
        links.forEach(RedisLink::close);
        // From the first refusal on, the burst is spent: what is granted then is the refill rate.
        double steadySeconds = (end - steadyFrom.get()) / 1e9;
        double steadyRpm = grantedSteady.get() / steadySeconds * 60;
        System.out.printf("two routers, 8 threads, %d s: granted %d (the first %d at once, a full bucket); "
                + "after the first refusal, %.1f requests/minute against a limit of %d (%+.1f%%)%n", seconds,
                granted.get(), rpm,
                steadyRpm, rpm, 100 * (steadyRpm - rpm) / rpm);
    }
}
