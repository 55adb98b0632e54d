package io.fairlane.engine.runtime;

import io.fairlane.engine.Preemption;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.util.Collection;
import java.util.Collections;
import java.util.Comparator;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Whom the batch scheduler preempts, and the books kept on it.
 *
 * <h2>Fair shares</h2>
 * A tenant's fair share of the running batch is its weight over the sum of the weights of the tenants that have
 * sequences running (and, when an arrival asks, the arrival's tenant): that fraction of the sequence slots and of
 * the KV blocks. A tenant whose work is only queued is counted once its request reaches the head of the waiting
 * queue and asks for room. Shares are worked out afresh at each decision from the running batch; nothing is kept
 * between steps but the weights.
 *
 * <h2>For a fair share</h2>
 * An arrival may take room by preemption when, with it, its tenant would still hold no more than its share of
 * slots and of blocks. Victims come from other tenants of the same or a lower tier, one at a time until the
 * arrival fits: the lowest tier first, then the tenant furthest above its share (the larger of its slot and block
 * ratios), then its most recently admitted sequence (the least work lost). Two bounds keep the churn down: a tenant
 * is never taken below its own share of slots (it keeps at least the whole slots of its share), and a sequence that
 * resumed from a fairness preemption is not preempted for fairness again within the configured window.
 *
 * <h2>For a live arrival</h2>
 * A priority or default request that lacks slots or blocks may take them from running flex sequences, newest first,
 * whatever their tenants' shares and fairness windows: flex work only has the capacity nobody else wants.
 *
 * <h2>For KV blocks</h2>
 * When a running sequence needs a block and the pool has none, something must give way, the requester included:
 * the lowest tier first, then a sequence outside its fairness window, then the tenant furthest above its share,
 * then the newest. No bound can apply here: without a victim the batch could not move.
 *
 * <h2>Books</h2>
 * Per tenant: preemptions by {@link PreemptionReason}, tokens recomputed on resume (computed before the
 * preemption and no longer in the prefix cache: work charged to no tenant, since none asked for it) and time spent
 * preempted (closed when the sequence resumes or ends; still-open spells are added in {@link #byTenant}).
 *
 * <p>Confined to the engine loop thread, except {@link #updateTenants}.
 */
final class Preemptions {

    private static final double EPS = 1e-9;
    /** Positions in a tenant's books. */
    private static final int KV_CACHE = 0;
    private static final int FAIR_SHARE = 1;
    private static final int FLEX = 2;
    private static final int RECOMPUTED = 3;
    private static final int NANOS = 4;

    /** A tenant's counts, for the snapshot. */
    record TenantPreemptions(long kvCache, long fairShare, long flex, long recomputedTokens, long preemptedNanos) {

        long total() {
            return kvCache + fairShare + flex;
        }
    }

    private final KvCacheManager kv;
    private final int maxRunning;
    private final boolean fairShare;
    private final long windowNanos;
    private volatile Map<String, Double> weights = Map.of();
    /** Per tenant: kv-cache, fair-share and flex preemptions, recomputed tokens, closed preempted nanos. */
    private final Map<String, long[]> books = new HashMap<>();
    private long total;

    Preemptions(KvCacheManager kv, int maxRunning, Preemption policy, List<TenantSpec> tenants) {
        this.kv = Objects.requireNonNull(kv, "kv");
        this.maxRunning = maxRunning;
        Objects.requireNonNull(policy, "policy");
        this.fairShare = policy instanceof Preemption.FairShare;
        this.windowNanos = policy instanceof Preemption.FairShare f ? saturatedNanos(f.window().toNanos()) : 0;
        updateTenants(tenants);
    }

    private static long saturatedNanos(long nanos) {
        return Math.min(nanos, TimeUnit.DAYS.toNanos(365));
    }

    void updateTenants(List<TenantSpec> tenants) {
        Map<String, Double> w = new HashMap<>();
        for (TenantSpec t : tenants) {
            w.put(t.id(), t.weight());
        }
        weights = Map.copyOf(w);
    }

    boolean fairShare() {
        return fairShare;
    }

    /** Flex is preempted first and resumed last; priority the reverse. */
    static int tierRank(ServiceTier tier) {
        return switch (tier) {
            case FLEX -> 0;
            case DEFAULT -> 1;
            case PRIORITY -> 2;
        };
    }

    private static int tierRank(Choice c) {
        return tierRank(c.job.request.tier());
    }

    /**
     * Running choices whose preemption gives {@code job} the slots and blocks it lacks, or null when its tenant
     * would be above its own share with it, preemption for fairness is off, or no allowed set of victims frees
     * enough.
     *
     * @param blocksNeeded free blocks the job's first chunk takes
     */
    List<Choice> forFairShare(GenerationJob job, int slotsShort, int blocksShort, int blocksNeeded,
                              List<Choice> running, long nowNanos) {
        if (!fairShare) {
            return null;
        }
        String requester = job.tenant();
        Shares shares = new Shares(running, requester);
        if (shares.slots(requester) + job.n() > shares.fairSlots(requester) + EPS
                || shares.blocks(requester) + blocksNeeded > shares.fairBlocks(requester) + EPS) {
            return null;
        }
        int rank = tierRank(job.request.tier());
        Comparator<Choice> first = Comparator.<Choice>comparingInt(Preemptions::tierRank)
                .thenComparingDouble(c -> -shares.overShare(c.job.tenant()))
                .thenComparingLong(c -> -c.order)
                .thenComparingInt(c -> -c.index);
        Set<Choice> victims = Collections.newSetFromMap(new IdentityHashMap<>());
        List<Choice> ordered = new java.util.ArrayList<>();
        int slotsFreed = 0;
        int blocksFreed = 0;
        while (slotsFreed < slotsShort || blocksFreed < blocksShort) {
            Choice best = null;
            for (Choice c : running) {
                String t = c.job.tenant();
                if (victims.contains(c) || t.equals(requester) || tierRank(c) > rank
                        || nowNanos < c.fairnessProtectedUntilNanos || !shares.aboveSlotShare(t)) {
                    continue;
                }
                if (best == null || first.compare(c, best) < 0) {
                    best = c;
                }
            }
            if (best == null) {
                return null;
            }
            victims.add(best);
            ordered.add(best);
            shares.remove(best);
            slotsFreed++;
            blocksFreed += kv.exclusiveBlocks(best.seq);
        }
        return ordered;
    }

    /**
     * Running flex sequences whose preemption gives a priority or default arrival the slots and blocks it lacks,
     * newest first (the least work lost), or null when all of them would not free enough. No share or fairness
     * window protects flex work: it only ever has the capacity nobody else wants.
     */
    List<Choice> forLiveArrival(int slotsShort, int blocksShort, List<Choice> running) {
        List<Choice> flex = new java.util.ArrayList<>();
        for (Choice c : running) {
            if (c.job.request.tier() == ServiceTier.FLEX) {
                flex.add(c);
            }
        }
        flex.sort(Comparator.<Choice>comparingLong(c -> -c.order).thenComparingInt(c -> -c.index));
        List<Choice> victims = new java.util.ArrayList<>();
        int slotsFreed = 0;
        int blocksFreed = 0;
        for (Choice c : flex) {
            if (slotsFreed >= slotsShort && blocksFreed >= blocksShort) {
                break;
            }
            victims.add(c);
            slotsFreed++;
            blocksFreed += kv.exclusiveBlocks(c.seq);
        }
        return slotsFreed >= slotsShort && blocksFreed >= blocksShort ? victims : null;
    }

    /**
     * The order in which {@code prefilling} choices get the step's token budget: with preemption for a fair share,
     * tenants furthest below their share first (a stable sort: admission order within a tenant); otherwise as given.
     */
    List<Choice> prefillOrder(List<Choice> prefilling, List<Choice> running) {
        if (!fairShare || prefilling.size() < 2) {
            return prefilling;
        }
        Shares shares = new Shares(running, null);
        List<Choice> out = new java.util.ArrayList<>(prefilling);
        out.sort(Comparator.comparingDouble(c -> shares.overShare(c.job.tenant())));
        return out;
    }

    /**
     * Of {@code tenants}, those that could take one more slot and stay within their share, furthest below it first;
     * empty when preemption for fairness is off.
     */
    List<String> underShare(List<String> tenants, List<Choice> running) {
        if (!fairShare) {
            return List.of();
        }
        Shares shares = new Shares(running, null); // one pass over the batch, however many tenants wait
        Map<String, Double> below = new HashMap<>();
        for (String t : tenants) {
            int held = shares.slots(t);
            double weightSum = shares.weightSum + (held == 0 ? shares.weight(t) : 0);
            double fair = maxRunning * shares.weight(t) / weightSum;
            if (held + 1 <= fair + EPS) {
                below.put(t, held / fair);
            }
        }
        List<String> out = new java.util.ArrayList<>(below.keySet());
        out.sort(Comparator.<String>comparingDouble(below::get).thenComparing(Comparator.naturalOrder()));
        return out;
    }

    /**
     * The running choice to preempt so that {@code requester} can grow (the requester itself included): lowest tier
     * first, then one outside its fairness window, then the tenant furthest above its share, then the newest.
     */
    Choice forKvCache(Choice requester, List<Choice> running, long nowNanos) {
        Shares shares = new Shares(running, null);
        Comparator<Choice> preemptFirst = Comparator
                .<Choice>comparingInt(c -> -tierRank(c))
                .thenComparingInt(c -> nowNanos < c.fairnessProtectedUntilNanos ? 0 : 1)
                .thenComparingDouble(c -> shares.overShare(c.job.tenant()))
                .thenComparingLong(c -> c.order)
                .thenComparingInt(c -> c.index);
        Choice victim = requester;
        for (Choice c : running) {
            if (preemptFirst.compare(c, victim) > 0) {
                victim = c;
            }
        }
        return victim;
    }

    /** Books a preemption of {@code victim}, whose blocks are about to be freed. */
    void preempted(Choice victim, PreemptionReason reason, long nowNanos) {
        victim.preemptedFor = reason;
        victim.preemptedAtNanos = nowNanos;
        victim.computedWhenPreempted = victim.seq.computedTokens();
        long[] b = books(victim.job.tenant());
        b[switch (reason) {
            case KV_CACHE -> KV_CACHE;
            case FAIR_SHARE -> FAIR_SHARE;
            case FLEX -> FLEX;
        }]++;
        total++;
    }

    /**
     * Books the resume of a preempted choice whose first chunk was just allocated (its cached prefix taken): the
     * tokens it will compute again and the time it spent preempted; opens its fairness window.
     */
    void resumed(Choice c, long nowNanos) {
        if (c.preemptedFor == null) {
            return;
        }
        long[] b = books(c.job.tenant());
        b[RECOMPUTED] += Math.max(0, c.computedWhenPreempted - c.seq.computedTokens());
        b[NANOS] += Math.max(0, nowNanos - c.preemptedAtNanos);
        c.preemptedFor = null;
        c.fairnessProtectedUntilNanos = nowNanos + windowNanos;
    }

    /** Books the end of a preempted choice that never resumed (finished by an abort or a failure). */
    void dropped(Choice c, long nowNanos) {
        if (c.preemptedFor == null) {
            return;
        }
        books(c.job.tenant())[NANOS] += Math.max(0, nowNanos - c.preemptedAtNanos);
        c.preemptedFor = null;
    }

    private long[] books(String tenant) {
        return books.computeIfAbsent(tenant, t -> new long[5]);
    }

    /** Preemptions since start, all tenants and reasons. */
    long total() {
        return total;
    }

    /** Per tenant, with the open spells of {@code waiting} (choices still preempted) counted up to now. */
    Map<String, TenantPreemptions> byTenant(Collection<Choice> waiting, long nowNanos) {
        Map<String, Long> open = new HashMap<>();
        for (Choice c : waiting) {
            if (c.preemptedFor != null) {
                open.merge(c.job.tenant(), Math.max(0, nowNanos - c.preemptedAtNanos), Long::sum);
            }
        }
        Map<String, TenantPreemptions> out = new HashMap<>();
        books.forEach((t, b) -> out.put(t, new TenantPreemptions(b[KV_CACHE], b[FAIR_SHARE], b[FLEX], b[RECOMPUTED],
                b[NANOS] + open.getOrDefault(t, 0L))));
        return out;
    }

    /** Slots and blocks per tenant of the running batch, and the shares they are measured against. */
    private final class Shares {

        private final Map<String, int[]> held = new HashMap<>();
        private final Map<String, Double> w = weights;
        private final double weightSum;

        Shares(List<Choice> running, String requester) {
            for (Choice c : running) {
                int[] h = held.computeIfAbsent(c.job.tenant(), t -> new int[2]);
                h[0]++;
                h[1] += c.seq.numBlocks();
            }
            double sum = 0;
            for (String t : held.keySet()) {
                sum += weight(t);
            }
            if (requester != null && !held.containsKey(requester)) {
                sum += weight(requester);
            }
            weightSum = sum;
        }

        private double weight(String tenant) {
            return w.getOrDefault(tenant, 1.0);
        }

        int slots(String t) {
            int[] h = held.get(t);
            return h == null ? 0 : h[0];
        }

        int blocks(String t) {
            int[] h = held.get(t);
            return h == null ? 0 : h[1];
        }

        double fairSlots(String t) {
            return weightSum == 0 ? maxRunning : maxRunning * weight(t) / weightSum;
        }

        double fairBlocks(String t) {
            return weightSum == 0 ? kv.totalBlocks() : kv.totalBlocks() * weight(t) / weightSum;
        }

        /** How far above its share the tenant is: the larger of its slot and block ratios (1 = exactly its share). */
        double overShare(String t) {
            return Math.max(slots(t) / fairSlots(t), blocks(t) / fairBlocks(t));
        }

        /** Whether losing one sequence still leaves the tenant the whole slots of its share. */
        boolean aboveSlotShare(String t) {
            return slots(t) - 1 >= Math.floor(fairSlots(t) + EPS);
        }

        void remove(Choice c) {
            int[] h = held.get(c.job.tenant());
            h[0]--;
            h[1] -= c.seq.numBlocks();
        }
    }

    @Override
    public String toString() {
        return "Preemptions[" + (fairShare ? "fair share, window " + windowNanos / 1_000_000 + " ms" : "kv cache only")
                + ", total=" + total + "]";
    }
}
