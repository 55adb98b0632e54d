package io.fairlane.scheduler.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.data.Percentage.withPercentage;

import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.Policy;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The shapes the VTC and DLPM papers report, on short simulations: these are properties of the
 * simulated system in virtual time, not timings of this machine.
 */
class SimulatorShapesTest {

    private static final Policy FCFS = new Policy.Fcfs();
    private static final Policy DRR = new Policy.DeficitRoundRobin(SimulatorMain.DRR_QUANTUM);
    private static final Policy VTC = new Policy.VirtualTokenCounter();
    private static final Policy DLPM = new Policy.DeficitLongestPrefixMatch(SimulatorMain.DLPM_QUANTUM);

    /** U of the VTC bound for the overload scenario: max(w_p·L_input, w_q·M). */
    private static double vtcU(Scenario s) {
        int maxInput = s.loads().stream().mapToInt(l -> l.prefixLen() + l.inputMax()).max().orElseThrow();
        return Math.max(CostWeights.DEFAULT.extend() * maxInput, CostWeights.DEFAULT.output() * s.engine().kvTokens());
    }

    @Test
    void overload_fcfs_serviceDifferenceKeepsGrowing() {
        Scenario s = Scenarios.overload();
        double atOneMinute = Simulator.run(s.shortened(60), FCFS).maxServiceDiff();
        double atTwoMinutes = Simulator.run(s.shortened(120), FCFS).maxServiceDiff();

        assertThat(atTwoMinutes).isGreaterThan(1.6 * atOneMinute);
    }

    @Test
    void overload_fcfs_serviceDifferenceLeavesTheVtcBoundBehind() {
        Scenario s = Scenarios.overload().shortened(120);

        assertThat(Simulator.run(s, FCFS).maxServiceDiff()).isGreaterThan(2 * vtcU(s));
    }

    @Test
    void overload_vtc_serviceDifferenceStaysWithinTwoU() {
        Scenario s = Scenarios.overload().shortened(120);

        assertThat(Simulator.run(s, VTC).maxServiceDiff()).isLessThanOrEqualTo(2 * vtcU(s));
    }

    @Test
    void overload_drr_serviceDifferenceStaysWithinTwoUPlusQ() {
        Scenario s = Scenarios.overload().shortened(120);
        double u = 256 * CostWeights.DEFAULT.extend() + CostWeights.DEFAULT.output() * s.engine().kvTokens();

        assertThat(Simulator.run(s, DRR).maxServiceDiff())
                .isLessThanOrEqualTo(2 * (u + SimulatorMain.DRR_QUANTUM));
    }

    @Test
    void overload_fairPolicies_keepFcfsThroughput() {
        Scenario s = Scenarios.overload().shortened(120);
        double fcfs = Simulator.run(s, FCFS).tokensPerSecond();

        assertThat(Simulator.run(s, VTC).tokensPerSecond()).isCloseTo(fcfs, withPercentage(2));
    }

    @Test
    void ramp_fairPolicies_keepSteadyTenantsP99TtftNearSolo() {
        Scenario s = Scenarios.ramp();
        double solo = Simulator.run(s.solo(Scenarios.STEADY), FCFS).tenant(Scenarios.STEADY).ttftPercentile(99);
        // A request that arrives to a full batch waits for one running request to end: about a second here,
        // which no non-preemptive scheduler avoids. Everything beyond that is queueing behind the neighbour.
        double allowance = solo + 1.5;

        assertThat(List.of(
                Simulator.run(s, VTC).tenant(Scenarios.STEADY).ttftPercentile(99),
                Simulator.run(s, DRR).tenant(Scenarios.STEADY).ttftPercentile(99)))
                .allSatisfy(p99 -> assertThat(p99).isLessThan(allowance));
    }

    @Test
    void ramp_fcfs_steadyTenantsP99TtftDegradesFarBeyondFairPolicies() {
        Scenario s = Scenarios.ramp();
        double fcfs = Simulator.run(s, FCFS).tenant(Scenarios.STEADY).ttftPercentile(99);
        double vtc = Simulator.run(s, VTC).tenant(Scenarios.STEADY).ttftPercentile(99);

        assertThat(fcfs).isGreaterThan(20 * vtc);
    }

    @Test
    void sharedPrefix_dlpm_beatsVtcThroughput() {
        Scenario s = Scenarios.sharedPrefix().shortened(120);
        double vtc = Simulator.run(s, VTC).tokensPerSecond();

        assertThat(Simulator.run(s, DLPM).tokensPerSecond()).isGreaterThan(1.3 * vtc);
    }

    @Test
    void jain_equalShares_isOne() {
        assertThat(Simulator.jain(new double[] {3, 3, 3})).isEqualTo(1.0);
    }

    @Test
    void jain_oneTenantGetsEverything_isOneOverN() {
        assertThat(Simulator.jain(new double[] {5, 0, 0, 0})).isEqualTo(0.25);
    }

    /** The light tenant alone (TTFT reference) and beside heavy one slot short of the batch (end-to-end). */
    private static final class PreemptionReferences {
        static final Scenario SCENARIO = Scenarios.fairShareNeighbour();
        static final RunResult.TenantResult SOLO = Simulator.run(SCENARIO.solo(Scenarios.LIGHT), FCFS)
                .tenant(Scenarios.LIGHT);
        static final RunResult.TenantResult WIDTH = Simulator.runPreemptive(SCENARIO.withInFlight(Scenarios.HEAVY,
                SCENARIO.engine().maxBatch() - 1, "width"), FCFS, SimulatorMain.PREEMPTION_WINDOW)
                .tenant(Scenarios.LIGHT);
    }

    static List<Policy> allPolicies() {
        return SimulatorMain.policies();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allPolicies")
    void fairShareNeighbour_withPreemption_lightP99TtftWithinOneAndAHalfOfSolo(Policy policy) {
        RunResult r = Simulator.runPreemptive(PreemptionReferences.SCENARIO, policy, SimulatorMain.PREEMPTION_WINDOW);

        assertThat(r.tenant(Scenarios.LIGHT).ttftPercentile(99))
                .isLessThanOrEqualTo(1.5 * PreemptionReferences.SOLO.ttftPercentile(99));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allPolicies")
    void fairShareNeighbour_withPreemption_lightP99EndToEndWithinOneAndAHalfOfSameWidth(Policy policy) {
        RunResult r = Simulator.runPreemptive(PreemptionReferences.SCENARIO, policy, SimulatorMain.PREEMPTION_WINDOW);

        assertThat(r.tenant(Scenarios.LIGHT).e2ePercentile(99))
                .isLessThanOrEqualTo(1.5 * PreemptionReferences.WIDTH.e2ePercentile(99));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allPolicies")
    void fairShareNeighbour_withPreemption_keepsNinetyPercentOfThroughput(Policy policy) {
        double without = Simulator.run(PreemptionReferences.SCENARIO, policy).tokensPerSecond();
        double with = Simulator.runPreemptive(PreemptionReferences.SCENARIO, policy, SimulatorMain.PREEMPTION_WINDOW)
                .tokensPerSecond();

        assertThat(with).isGreaterThanOrEqualTo(0.9 * without);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("allPolicies")
    void fairShareNeighbour_withoutPreemption_lightWaitsForAWholeNeighbourRequest(Policy policy) {
        RunResult r = Simulator.run(PreemptionReferences.SCENARIO, policy);

        assertThat(r.tenant(Scenarios.LIGHT).ttftPercentile(99))
                .isGreaterThan(3 * PreemptionReferences.SOLO.ttftPercentile(99));
    }
}
