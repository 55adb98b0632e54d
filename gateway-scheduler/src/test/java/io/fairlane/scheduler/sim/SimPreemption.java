package io.fairlane.scheduler.sim;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The simulated engine's preemption for a fair share, the rules of the real engine's batch scheduler on the
 * simulator's model: a tenant's share is its weight over the sum of the weights of the tenants with running requests
 * (and the arrival's), as a fraction of the batch's slots. An arrival whose tenant would stay within its share may
 * take room from the tenant furthest above its own (newest request first), never taking a tenant below the whole
 * slots of its share, and never a request that resumed less than {@code window} seconds ago. A preempted request
 * frees its slot and token reservation and later resumes by recomputing what its KV blocks no longer hold: as the
 * engine's freed blocks stay in its prefix cache, only the last, partial block ({@link #recomputeTokens}).
 *
 * @param window churn bound in virtual seconds
 */
record SimPreemption(double window) {

    private static final double EPS = 1e-9;
    static final int BLOCK = 16;

    /** One running request as preemption sees it. */
    interface Candidate {
        String tenant();

        long admittedSeq();

        long reservedTokens();

        double protectedUntil();
    }

    /** Tokens a request of {@code length} computed tokens recomputes on resume: its partial last block, at least one. */
    static int recomputeTokens(int length) {
        return length - (length - 1) / BLOCK * BLOCK;
    }

    /**
     * Requests to preempt so that a request of {@code tenant} reserving {@code needTokens} fits, or null when its
     * tenant would exceed its share or no allowed set frees enough.
     */
    <C extends Candidate> List<C> victims(String tenant, long needTokens, List<C> running, int freeSlots,
                                          long freeTokens, int maxBatch, Map<String, Double> weights, double now) {
        Map<String, Integer> slots = new HashMap<>();
        for (C c : running) {
            slots.merge(c.tenant(), 1, Integer::sum);
        }
        double weightSum = weights.getOrDefault(tenant, 1.0);
        for (String t : slots.keySet()) {
            if (!t.equals(tenant)) {
                weightSum += weights.getOrDefault(t, 1.0);
            }
        }
        double total = weightSum;
        java.util.function.ToDoubleFunction<String> fair = t -> maxBatch * weights.getOrDefault(t, 1.0) / total;
        if (slots.getOrDefault(tenant, 0) + 1 > fair.applyAsDouble(tenant) + EPS) {
            return null;
        }
        List<C> victims = new ArrayList<>();
        while (freeSlots < 1 || freeTokens < needTokens) {
            C best = null;
            for (C c : running) {
                String t = c.tenant();
                if (victims.contains(c) || t.equals(tenant) || now < c.protectedUntil()
                        || slots.get(t) - 1 < Math.floor(fair.applyAsDouble(t) + EPS)) {
                    continue;
                }
                double over = slots.get(t) / fair.applyAsDouble(t);
                double bestOver = best == null ? -1 : slots.get(best.tenant()) / fair.applyAsDouble(best.tenant());
                if (over > bestOver || over == bestOver && c.admittedSeq() > best.admittedSeq()) {
                    best = c;
                }
            }
            if (best == null) {
                return null;
            }
            victims.add(best);
            slots.merge(best.tenant(), -1, Integer::sum);
            freeSlots++;
            freeTokens += best.reservedTokens();
        }
        return victims;
    }

    /** Per running tenant: slots held over its share (1 = exactly its share). */
    Map<String, Double> slotRatios(List<? extends Candidate> running, int maxBatch, Map<String, Double> weights) {
        Map<String, Integer> slots = new HashMap<>();
        for (Candidate c : running) {
            slots.merge(c.tenant(), 1, Integer::sum);
        }
        double weightSum = 0;
        for (String t : slots.keySet()) {
            weightSum += weights.getOrDefault(t, 1.0);
        }
        Map<String, Double> out = new HashMap<>();
        for (Map.Entry<String, Integer> e : slots.entrySet()) {
            out.put(e.getKey(), e.getValue() / (maxBatch * weights.getOrDefault(e.getKey(), 1.0) / weightSum));
        }
        return out;
    }

    /** Of {@code tenants}, those that could take one more slot within their share, furthest below it first. */
    List<String> underShare(List<String> tenants, List<? extends Candidate> running, int maxBatch,
                            Map<String, Double> weights) {
        Map<String, Integer> slots = new HashMap<>();
        for (Candidate c : running) {
            slots.merge(c.tenant(), 1, Integer::sum);
        }
        List<String> out = new ArrayList<>();
        Map<String, Double> ratio = new HashMap<>();
        for (String t : tenants) {
            double weightSum = weights.getOrDefault(t, 1.0);
            for (String u : slots.keySet()) {
                if (!u.equals(t)) {
                    weightSum += weights.getOrDefault(u, 1.0);
                }
            }
            double fair = maxBatch * weights.getOrDefault(t, 1.0) / weightSum;
            int held = slots.getOrDefault(t, 0);
            if (held + 1 <= fair + EPS) {
                out.add(t);
                ratio.put(t, held / fair);
            }
        }
        out.sort(java.util.Comparator.comparingDouble(ratio::get));
        return out;
    }
}
