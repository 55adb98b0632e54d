package io.fairlane.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.ToIntFunction;

/**
 * Consistent hashing with bounded loads (Mirrokni, Thorup and Zadimoghaddam, 2018) over engine replicas: each replica
 * owns {@code pointsPerReplica} points on a 64-bit ring; a key goes to the first replica clockwise from it whose
 * in-flight count is below {@code ⌈(1 + ε) · (in flight + 1) / replicas⌉}. A hot prefix therefore sticks to the
 * replica that caches it until that replica is full, then spills to the next one on the ring (always the same one,
 * so the spill also finds its prefix there after the first time). Adding or removing a replica moves only the keys
 * of the points it owns. Replicas that are not healthy are skipped ({@link Reason#FAILOVER}).
 *
 * <p>Thread-safe: every method holds the ring's monitor (routing is a ring lookup and a short walk).
 */
public final class AffinityRing {

    /** Why a request went where it went (the {@code reason} tag of the routing counter). */
    public enum Reason {
        /** The key's own replica. */
        AFFINITY,
        /** The key's replica was at its bound: a later one on the ring. */
        OVERFLOW,
        /** The key's replica was unhealthy or gone: a later one on the ring. */
        FAILOVER,
        /** No key (a prompt shorter than a block): the least loaded replica. */
        LEAST_LOADED
    }

    /** Where a request goes. */
    public record Route(String replica, Reason reason) {
    }

    /**
     * The replicas a request should try, best first: {@code home} is the key's own replica (null without a key);
     * {@code order} lists the healthy replicas that are within the bound in ring order from the key, then the
     * healthy ones at their bound, then the unhealthy ones (a last resort when nothing else answers).
     */
    public record Order(String home, List<String> order) {
        public Order {
            order = List.copyOf(order);
        }
    }

    private final double epsilon;
    private final int pointsPerReplica;
    private final TreeMap<Long, String> ring = new TreeMap<>();
    private final Map<String, Integer> inFlight = new HashMap<>();
    private final Set<String> unhealthy = new HashSet<>();
    private int total;

    /**
     * @param epsilon          how far above the average a replica may go (0.25: 25%)
     * @param pointsPerReplica ring points per replica (more points: a more even split of keys)
     */
    public AffinityRing(double epsilon, int pointsPerReplica) {
        if (!(epsilon > 0)) {
            throw new IllegalArgumentException("epsilon must be > 0, was " + epsilon);
        }
        if (pointsPerReplica < 1) {
            throw new IllegalArgumentException("pointsPerReplica must be >= 1, was " + pointsPerReplica);
        }
        this.epsilon = epsilon;
        this.pointsPerReplica = pointsPerReplica;
    }

    /** Makes the ring hold exactly {@code replicas} (discovery changed); in-flight counts of the others are kept. */
    public synchronized void replicas(Collection<String> replicas) {
        Set<String> wanted = Set.copyOf(replicas);
        ring.values().removeIf(r -> !wanted.contains(r));
        for (String r : wanted) {
            if (!inFlight.containsKey(r)) {
                inFlight.put(r, 0);
                for (int i = 0; i < pointsPerReplica; i++) {
                    ring.put(point(r + "#" + i), r);
                }
            }
        }
        inFlight.keySet().removeIf(r -> !wanted.contains(r));
        unhealthy.retainAll(wanted);
        total = inFlight.values().stream().mapToInt(Integer::intValue).sum();
    }

    /** Marks a replica as failing its health checks (or back). */
    public synchronized void healthy(String replica, boolean healthy) {
        if (healthy) {
            unhealthy.remove(replica);
        } else if (inFlight.containsKey(replica)) {
            unhealthy.add(replica);
        }
    }

    /** The most requests one replica may have in flight once one more is admitted. */
    synchronized int bound() {
        int live = inFlight.size() - unhealthy.size();
        return live <= 0 ? 0 : (int) Math.ceil((1 + epsilon) * (total + 1) / live);
    }

    /**
     * Picks the replica for a request with ring position {@code key} (null: no key) and counts it in flight there
     * until {@link #release}.
     *
     * @return the route, or null when no replica is healthy
     */
    public synchronized Route acquire(Long key) {
        int bound = bound();
        if (bound == 0) {
            return null;
        }
        Route route = key == null ? leastLoaded() : walk(key, bound);
        if (route == null) {
            route = leastLoaded();
        }
        inFlight.merge(route.replica(), 1, Integer::sum);
        total++;
        return route;
    }

    private Route walk(long key, int bound) {
        Entry<Long, String> e = ring.ceilingEntry(key);
        Reason reason = Reason.AFFINITY;
        Set<String> seen = new HashSet<>();
        for (int step = 0; step < ring.size() && seen.size() < inFlight.size(); step++) {
            if (e == null) {
                e = ring.firstEntry();
            }
            String r = e.getValue();
            if (seen.add(r)) {
                if (unhealthy.contains(r)) {
                    if (reason == Reason.AFFINITY) {
                        reason = Reason.FAILOVER;
                    }
                } else if (inFlight.get(r) + 1 <= bound) {
                    return new Route(r, reason);
                } else if (reason == Reason.AFFINITY) {
                    reason = Reason.OVERFLOW;
                }
            }
            e = ring.higherEntry(e.getKey());
        }
        return null;
    }

    private Route leastLoaded() {
        String best = null;
        for (Entry<String, Integer> e : inFlight.entrySet()) {
            if (!unhealthy.contains(e.getKey()) && (best == null || e.getValue() < inFlight.get(best))) {
                best = e.getKey();
            }
        }
        return new Route(best, Reason.LEAST_LOADED);
    }

    /**
     * The order in which a request with ring position {@code key} (null: no key) should try the replicas, given
     * each one's in-flight count as the caller keeps it (a router's per-target counters): the same bound as
     * {@link #acquire}, without counting anything itself. Without a key the replicas come least loaded first.
     */
    public synchronized Order order(Long key, ToIntFunction<String> inFlightOf) {
        List<String> live = new ArrayList<>();
        int sum = 0;
        for (String r : inFlight.keySet()) {
            if (!unhealthy.contains(r)) {
                live.add(r);
                sum += inFlightOf.applyAsInt(r);
            }
        }
        List<String> walk = new ArrayList<>();
        if (key == null) {
            walk.addAll(live);
            walk.sort(Comparator.comparingInt(inFlightOf::applyAsInt).thenComparing(Comparator.naturalOrder()));
        } else {
            Set<String> seen = new HashSet<>();
            for (Entry<Long, String> e = ring.ceilingEntry(key); seen.size() < inFlight.size(); ) {
                if (e == null) {
                    e = ring.firstEntry();
                    if (e == null) {
                        break;
                    }
                }
                if (seen.add(e.getValue())) {
                    walk.add(e.getValue());
                }
                e = ring.higherEntry(e.getKey());
            }
        }
        String home = key == null || walk.isEmpty() ? null : walk.getFirst();
        int bound = live.isEmpty() ? 0 : (int) Math.ceil((1 + epsilon) * (sum + 1) / live.size());
        List<String> within = new ArrayList<>();
        List<String> full = new ArrayList<>();
        List<String> sick = new ArrayList<>();
        for (String r : walk) {
            (unhealthy.contains(r) ? sick : inFlightOf.applyAsInt(r) + 1 <= bound ? within : full).add(r);
        }
        within.addAll(full);
        within.addAll(sick);
        return new Order(home, within);
    }

    /** The replicas on the ring that are not marked unhealthy. */
    public synchronized Set<String> healthyReplicas() {
        Set<String> out = new HashSet<>(inFlight.keySet());
        out.removeAll(unhealthy);
        return Set.copyOf(out);
    }

    /** The replicas on the ring now. */
    public synchronized Set<String> replicas() {
        return Set.copyOf(inFlight.keySet());
    }

    /** The request routed to {@code replica} is over. */
    public synchronized void release(String replica) {
        Objects.requireNonNull(replica, "replica");
        Integer n = inFlight.get(replica);
        if (n != null && n > 0) {
            inFlight.put(replica, n - 1);
            total--;
        }
    }

    /** Requests in flight on {@code replica} (0 when unknown). */
    public synchronized int inFlight(String replica) {
        return inFlight.getOrDefault(replica, 0);
    }

    private static long point(String name) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(name.getBytes(StandardCharsets.UTF_8));
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = (v << 8) | (d[i] & 0xff);
            }
            return v;
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK provides SHA-256", e);
        }
    }
}
