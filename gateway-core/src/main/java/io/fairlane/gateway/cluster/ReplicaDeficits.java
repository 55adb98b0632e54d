package io.fairlane.gateway.cluster;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Per-tenant fairness across replicas, after D²LPM (Cao et al., "Locality-aware Fair Scheduling in LLM Serving",
 * 2025): each (tenant, replica) pair has a deficit, refilled by a quantum scaled by the tenant's weight and charged
 * with the cost of what the tenant sends to that replica. A tenant whose deficit on its preferred replica is spent
 * while it still has credit on another replica is sent there instead, so pinning all its prefixes to one replica
 * cannot take more than its share of that replica; when its deficits are spent everywhere they are all refilled (a
 * new round). Locality therefore wins while a tenant stays within its share, and fairness wins past it.
 *
 * <p>Thread-safe: every method holds the monitor.
 */
public final class ReplicaDeficits {

    private final double quantum;
    private final Map<String, Map<String, Double>> deficits = new HashMap<>();

    /** @param quantum cost (tokens) a weight-1 tenant may send to each replica per round */
    public ReplicaDeficits(double quantum) {
        if (!(quantum > 0)) {
            throw new IllegalArgumentException("quantum must be > 0, was " + quantum);
        }
        this.quantum = quantum;
    }

    /**
     * The replica a tenant's request should go to: {@code preferred} while the tenant has credit there, else the
     * replica among {@code replicas} where it has the most credit (refilling all its deficits first when it has
     * credit nowhere). Charges {@code cost} to the chosen pair.
     */
    public synchronized String choose(String tenant, double weight, String preferred, Set<String> replicas,
                                      double cost) {
        Objects.requireNonNull(tenant, "tenant");
        Map<String, Double> mine = deficits.computeIfAbsent(tenant, t -> new HashMap<>());
        mine.keySet().retainAll(replicas);
        for (String r : replicas) {
            mine.putIfAbsent(r, quantum * weight);
        }
        if (mine.values().stream().allMatch(d -> d <= 0)) {
            mine.replaceAll((r, d) -> d + quantum * weight);
        }
        String chosen = preferred;
        if (chosen == null || !mine.containsKey(chosen) || mine.get(chosen) <= 0) {
            chosen = mine.entrySet().stream().max(Map.Entry.comparingByValue()).map(Map.Entry::getKey)
                    .orElse(preferred);
        }
        if (chosen != null && mine.containsKey(chosen)) {
            mine.merge(chosen, -cost, Double::sum);
        }
        return chosen;
    }

    /** The tenant's deficit on {@code replica} (0 when unknown). */
    public synchronized double deficit(String tenant, String replica) {
        return deficits.getOrDefault(tenant, Map.of()).getOrDefault(replica, 0.0);
    }
}
