package io.fairlane.scheduler.sim;

import static io.fairlane.scheduler.sim.RateFunction.constant;

import io.fairlane.scheduler.TenantSpec;
import java.util.List;

/**
 * The scenarios the simulator replays: those of the VTC paper (Sheng et al., OSDI 2024, §5) and the
 * shared-prefix workload of the DLPM paper (Cao et al., arXiv 2501.14312), scaled to the
 * {@link EngineModel#typical()} engine, which serves about 4.4 requests/s of 256 input + 256 output tokens.
 * Rates and sizes are ours; the papers' shapes are what we reproduce.
 */
final class Scenarios {

    private Scenarios() {
    }

    static final String STEADY = "steady";

    static List<Scenario> all() {
        return List.of(overload(), proportional(), onOff(), ramp(), shortLong(), sharedPrefix());
    }

    /** Two tenants both above their fair share, one sending twice the other's rate. */
    static Scenario overload() {
        return new Scenario("overload", "Overload: two tenants above their share",
                "A sends 3 req/s and B 6 req/s against an engine that serves about 4.4: FCFS serves them in "
                        + "proportion to their rates, so the service difference grows for as long as the overload "
                        + "lasts; fair policies split the engine evenly.",
                300, EngineModel.typical(),
                List.of(TenantLoad.of("A", constant(3), 256, 256), TenantLoad.of("B", constant(6), 256, 256)),
                null, 11);
    }

    /** Four tenants at rates 1:2:4:8 times 0.5 req/s. */
    static Scenario proportional() {
        return new Scenario("proportional", "Proportional rates: 0.5, 1, 2 and 4 req/s",
                "Demand of 7.5 req/s against about 4.4: the two light tenants should get all they ask for and "
                        + "the two heavy ones split the rest evenly (max-min fairness), where FCFS serves each "
                        + "in proportion to its rate.",
                300, EngineModel.typical(),
                List.of(TenantLoad.of("t1", constant(0.5), 256, 256), TenantLoad.of("t2", constant(1), 256, 256),
                        TenantLoad.of("t3", constant(2), 256, 256), TenantLoad.of("t4", constant(4), 256, 256)),
                null, 12);
    }

    /** One tenant always busy, another switching between a flood and silence. */
    static Scenario onOff() {
        return new Scenario("on-off", "On/off: a tenant that floods for 60 s, then idles for 60 s",
                "A sends 5 req/s throughout; B sends 3 req/s for 60 s, then nothing for 60 s. While B is "
                        + "away A gets the whole engine; when B returns the two split it at once: B brings back "
                        + "neither credit for its idle time (it would starve A) nor debt (it would be starved).",
                480, EngineModel.typical(),
                List.of(TenantLoad.of("A", constant(5), 256, 256),
                        TenantLoad.of("B", RateFunction.onOff(3, 60, 60), 256, 256)),
                null, 13);
    }

    /** A steady light tenant beside one that ramps far past the engine's capacity. */
    static Scenario ramp() {
        return new Scenario("ramp", "Ramp: a steady tenant beside one ramping up to 8 req/s",
                "The steady tenant sends 0.5 req/s, well inside its share; the other ramps from 0 to 8 req/s "
                        + "over 240 s. Under a fair policy the steady tenant's TTFT stays near its solo value; "
                        + "under FCFS it waits behind the whole backlog.",
                360, EngineModel.typical(),
                List.of(TenantLoad.of(STEADY, constant(0.5), 256, 256),
                        TenantLoad.of("ramping", RateFunction.ramp(0, 8, 240), 256, 256)),
                STEADY, 14);
    }

    static final String LIGHT = "light";
    static final String HEAVY = "heavy";

    /**
     * The engine's fair-share preemption scenario: four running slots, a neighbour keeping 40 requests in flight,
     * a light tenant of equal weight well inside its share. Not in {@link #all()}: it is reported with and without
     * preemption, beside the light tenant alone and in a batch of the same width (see {@code SimulatorMain}).
     */
    static Scenario fairShareNeighbour() {
        EngineModel fourSlots = EngineModel.typical().withChunkedPrefill(4, 256);
        return new Scenario("preemption", "Preemption for a fair share: 4 slots, a neighbour with 40 in flight",
                "The light tenant sends 0.1 req/s of 512 + 32 tokens (almost never more than one in flight, well "
                        + "inside its share of two slots); the heavy one keeps 40 requests of 512 + 256 in flight, so "
                        + "every slot is always taken. Prompts are prefilled in chunks of 256 tokens. Without "
                        + "preemption a light request waits for a heavy one to finish; with it, it starts in the "
                        + "next step.",
                2400, fourSlots,
                List.of(TenantLoad.of(LIGHT, constant(0.1), 512, 32), TenantLoad.closedLoop(HEAVY, 40, 512, 256)),
                LIGHT, 17);
    }

    /** Short interactive requests beside long document requests. */
    static Scenario shortLong() {
        return new Scenario("short-long", "Short and long requests",
                "A sends short requests (64 in, 64 out) at 20 req/s, B long ones (1024 in, 512 out) at 1 req/s; "
                        + "both overload the engine. Token-cost fairness gives each the same tokens of service, "
                        + "where FCFS lets the long requests take most of the engine.",
                300, EngineModel.typical(),
                List.of(TenantLoad.of("short", constant(20), 64, 64).sizes(32, 96, 32, 96),
                        TenantLoad.of("long", constant(1), 1024, 512).sizes(768, 1280, 384, 640)),
                null, 15);
    }

    /**
     * Four tenants whose requests share long prefixes (system prompts, documents): 16 prefixes of 1,500
     * tokens in all, a prefix cache for 4 of them, and per-tenant queues bounded at 32 so that the waiting
     * list stays within the 128 requests for which longest-prefix-match order applies.
     */
    static Scenario sharedPrefix() {
        List<TenantLoad> loads = List.of("A", "B", "C", "D").stream()
                .map(id -> new TenantLoad(TenantSpec.of(id, 1).withQueueBounds(32, Long.MAX_VALUE), constant(5),
                        32, 128, 16, 64, 4, 1500, 0))
                .toList();
        return new Scenario("shared-prefix", "Shared prefixes: four tenants, 16 long prefixes, cache for 4",
                "Each request starts with one of its tenant's four 1,500-token prefixes. Serving requests that "
                        + "share a cached prefix together saves most of their prefill: DLPM does that within "
                        + "each tenant's share, so it completes more work than VTC or DRR.",
                300, EngineModel.typical().withCache(6_000), loads, null, 16);
    }
}
