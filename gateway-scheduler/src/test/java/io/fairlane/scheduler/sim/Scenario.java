package io.fairlane.scheduler.sim;

import io.fairlane.scheduler.TenantSpec;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.SplittableRandom;

/**
 * A workload to replay under every policy: tenants' traffic, the engine, and how long to run.
 *
 * @param name        file-name friendly id
 * @param title       a heading
 * @param why         what the scenario shows, one sentence
 * @param seconds     virtual seconds of arrivals
 * @param engine      the engine model
 * @param loads       the tenants' traffic
 * @param focusTenant a tenant whose TTFT is compared with its solo run ({@code null}: none)
 * @param seed        arrivals and sizes are the same for every policy
 */
record Scenario(String name, String title, String why, double seconds, EngineModel engine, List<TenantLoad> loads,
                String focusTenant, long seed) {

    Scenario {
        Objects.requireNonNull(name, "name");
        loads = List.copyOf(loads);
        for (TenantLoad l : loads) {
            if (l.prefixLen() + l.inputMax() + l.outputMax() > engine.kvTokens()) {
                throw new IllegalArgumentException("a request of " + l.id() + " can never fit the engine");
            }
        }
    }

    List<TenantSpec> specs() {
        return loads.stream().map(TenantLoad::spec).toList();
    }

    Scenario shortened(double newSeconds) {
        return new Scenario(name, title, why, newSeconds, engine, loads, focusTenant, seed);
    }

    /** The same scenario with only {@code tenant}'s traffic. */
    Scenario solo(String tenant) {
        return new Scenario(name + "-solo", title + " (solo)", why, seconds, engine,
                loads.stream().filter(l -> l.id().equals(tenant)).toList(), null, seed);
    }

    /** The same scenario with {@code n} clients in {@code tenant}'s closed loop. */
    Scenario withInFlight(String tenant, int n, String suffix) {
        return new Scenario(name + "-" + suffix, title + " (" + suffix + ")", why, seconds, engine,
                loads.stream().map(l -> l.id().equals(tenant) ? l.withInFlight(n) : l).toList(), focusTenant, seed);
    }

    /** Poisson arrivals by thinning, with sizes drawn per tenant; tenant order fixes the random streams. */
    List<SimRequest> arrivals() {
        List<SimRequest> all = new ArrayList<>();
        SplittableRandom root = new SplittableRandom(seed);
        long id = 0;
        for (int ti = 0; ti < loads.size(); ti++) {
            TenantLoad l = loads.get(ti);
            SplittableRandom rnd = root.split();
            double peak = l.rate().peak();
            if (peak <= 0 || l.inFlight() > 0) {
                continue;
            }
            double t = 0;
            while (true) {
                t += -Math.log(1 - rnd.nextDouble()) / peak;
                if (t >= seconds) {
                    break;
                }
                if (rnd.nextDouble() * peak > l.rate().at(t)) {
                    continue;
                }
                int suffix = rnd.nextInt(l.inputMin(), l.inputMax() + 1);
                int output = rnd.nextInt(l.outputMin(), l.outputMax() + 1);
                int group = l.prefixGroups() > 0 ? ti * 1000 + rnd.nextInt(l.prefixGroups()) : -1;
                int prefix = l.prefixGroups() > 0 ? l.prefixLen() : 0;
                // Only whole prefixes are shared; the last input token is never served from the cache.
                all.add(new SimRequest(id++, l.id(), t, prefix + suffix, output, l.outputMax(), group, prefix));
            }
        }
        all.sort(Comparator.comparingDouble(SimRequest::arrival));
        return all;
    }
}
