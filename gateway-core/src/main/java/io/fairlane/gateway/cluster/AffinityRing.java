package io.fairlane.gateway.cluster;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.Map;
import java.util.Map.Entry;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;

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
