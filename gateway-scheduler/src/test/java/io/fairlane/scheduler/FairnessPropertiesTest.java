package io.fairlane.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The fairness bounds of REFERENCES.md "Fair scheduling", checked over random workloads on the
 * {@link BatchModel}: for continuously backlogged tenants the weighted service difference over any interval
 * stays within 2U (VTC, Sheng et al. OSDI 2024) or 2(U + Q) (DRR and DLPM, Cao et al. arXiv 2501.14312),
 * with U = max(w_p·L_input, w_q·M) for VTC and U = w_e·L_input + w_q·M for the deficit policies, L_input
 * the longest input and M the batch's token memory. With weights, each tenant's service is divided by
 * its weight and the bound by the smaller weight.
 */
class FairnessPropertiesTest {

    private static final double W_E = CostWeights.DEFAULT.extend();
    private static final double W_Q = CostWeights.DEFAULT.output();
    private static final int TRIES = 12;
    private static final int STEPS = 1200;

    private enum Kind { VTC, DRR, DLPM }

    private static Policy policy(Kind kind, long quantum) {
        return switch (kind) {
            case VTC -> new Policy.VirtualTokenCounter();
            case DRR -> new Policy.DeficitRoundRobin(quantum);
            case DLPM -> new Policy.DeficitLongestPrefixMatch(quantum);
        };
    }

    private static double bound(Kind kind, int maxInput, long memory, long quantum, double minWeight) {
        return switch (kind) {
            case VTC -> 2 * Math.max(W_E * maxInput, W_Q * memory) / minWeight;
            case DRR, DLPM -> 2 * ((W_E * maxInput + W_Q * memory) / minWeight + quantum);
        };
    }

    private static BatchModel.Shape randomShape(SplittableRandom rnd, Kind kind) {
        int maxIn = rnd.nextInt(8, 513);
        int maxOut = rnd.nextInt(1, 257);
        double cached = kind == Kind.DLPM ? rnd.nextDouble() : 0;
        int overestimate = kind == Kind.DRR ? rnd.nextInt(0, 129) : 0;
        return new BatchModel.Shape(1, maxIn, 1, maxOut, cached, overestimate);
    }

    /** Per pair of tenants, the spread (max − min) of the difference of their weighted services. */
    private static final class SpreadTracker {
        private final List<String> tenants;
        private final double[] weights;
        private final double[][] min;
        private final double[][] max;

        SpreadTracker(List<TenantSpec> specs) {
            this.tenants = specs.stream().map(TenantSpec::id).toList();
            this.weights = specs.stream().mapToDouble(TenantSpec::weight).toArray();
            int n = specs.size();
            min = new double[n][n];
            max = new double[n][n];
        }

        void observe(BatchModel m, double[] origin) {
            for (int i = 0; i < tenants.size(); i++) {
                for (int j = i + 1; j < tenants.size(); j++) {
                    double d = (m.service(tenants.get(i)) - origin[i]) / weights[i]
                            - (m.service(tenants.get(j)) - origin[j]) / weights[j];
                    min[i][j] = Math.min(min[i][j], d);
                    max[i][j] = Math.max(max[i][j], d);
                }
            }
        }

        /** The largest spread over all pairs, each divided by the bound for its smaller weight. */
        double worstRatio(java.util.function.DoubleUnaryOperator boundForMinWeight) {
            double worst = 0;
            for (int i = 0; i < tenants.size(); i++) {
                for (int j = i + 1; j < tenants.size(); j++) {
                    double b = boundForMinWeight.applyAsDouble(Math.min(weights[i], weights[j]));
                    worst = Math.max(worst, (max[i][j] - min[i][j]) / b);
                }
            }
            return worst;
        }
    }

    /** Runs all tenants backlogged for {@link #STEPS} and returns the worst spread / bound. */
    private static double backloggedRun(Kind kind, List<TenantSpec> specs, SplittableRandom rnd) {
        long quantum = 1L << rnd.nextInt(6, 13);
        List<BatchModel.Shape> shapes = new ArrayList<>();
        int largest = 0;
        for (int i = 0; i < specs.size(); i++) {
            BatchModel.Shape s = randomShape(rnd, kind);
            shapes.add(s);
            largest = Math.max(largest, s.maxInput() + s.maxOutput() + s.outputOverestimate());
        }
        long memory = largest * (long) rnd.nextInt(1, 9);
        BatchModel m = new BatchModel(policy(kind, quantum), specs, memory, 3, rnd);
        for (int i = 0; i < specs.size(); i++) {
            m.shape(specs.get(i).id(), shapes.get(i));
            m.backlogged(specs.get(i).id(), true);
        }
        SpreadTracker spread = new SpreadTracker(specs);
        double[] origin = new double[specs.size()];
        for (int step = 0; step < STEPS; step++) {
            m.step();
            spread.observe(m, origin);
        }
        return spread.worstRatio(minW -> bound(kind, m.maxInputSeen(), memory, quantum, minW));
    }

    private static void twoBackloggedTenantsStayWithinBound(Kind kind) {
        PropertyCheck.forAll(TRIES, rnd -> assertThat(
                backloggedRun(kind, List.of(TenantSpec.of("f", 1), TenantSpec.of("g", 1)), rnd))
                .as("service spread / bound").isLessThanOrEqualTo(1.0));
    }

    @Test
    void vtc_twoContinuouslyBackloggedTenants_serviceDifferenceWithinTwoU() {
        twoBackloggedTenantsStayWithinBound(Kind.VTC);
    }

    @Test
    void drr_twoContinuouslyBackloggedTenants_serviceDifferenceWithinTwoUPlusQ() {
        twoBackloggedTenantsStayWithinBound(Kind.DRR);
    }

    @Test
    void dlpm_twoContinuouslyBackloggedTenants_serviceDifferenceWithinTwoUPlusQ() {
        twoBackloggedTenantsStayWithinBound(Kind.DLPM);
    }

    private static void weightedTenantsStayWithinBound(Kind kind) {
        PropertyCheck.forAll(TRIES, rnd -> {
            int n = rnd.nextInt(2, 5);
            List<TenantSpec> specs = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                specs.add(TenantSpec.of("t" + i, 1 + 3 * rnd.nextDouble()));
            }
            assertThat(backloggedRun(kind, specs, rnd)).as("weighted service spread / bound")
                    .isLessThanOrEqualTo(1.0);
        });
    }

    @Test
    void vtc_weightedBackloggedTenants_servicePerWeightConvergesWithinBound() {
        weightedTenantsStayWithinBound(Kind.VTC);
    }

    @Test
    void drr_weightedBackloggedTenants_servicePerWeightConvergesWithinBound() {
        weightedTenantsStayWithinBound(Kind.DRR);
    }

    @Test
    void dlpm_weightedBackloggedTenants_servicePerWeightConvergesWithinBound() {
        weightedTenantsStayWithinBound(Kind.DLPM);
    }

    /**
     * Tenant g idles while f is served alone for far longer than the bound's worth of service, then both
     * are backlogged. From g's return, g's lead over f must stay within the bound: had g banked credit for
     * its idle time it would be served alone until it caught up.
     */
    private static void returningTenantBanksNoCredit(Kind kind) {
        PropertyCheck.forAll(TRIES, rnd -> {
            long quantum = 1L << rnd.nextInt(6, 13);
            BatchModel.Shape shape = randomShape(rnd, kind);
            long memory = (shape.maxInput() + shape.maxOutput() + shape.outputOverestimate())
                    * (long) rnd.nextInt(1, 9);
            List<TenantSpec> specs = List.of(TenantSpec.of("f", 1), TenantSpec.of("g", 1));
            BatchModel m = new BatchModel(policy(kind, quantum), specs, memory, 3, rnd);
            m.shape("f", shape);
            m.shape("g", shape);
            m.backlogged("f", true);
            // Worst case for banking: g is served a little first, then idles.
            m.backlogged("g", true);
            m.step();
            m.backlogged("g", false);
            double boundNow = bound(kind, shape.maxInput(), memory, quantum, 1);
            while (m.service("f") < 4 * boundNow) {
                m.step();
            }
            m.backlogged("g", true);
            double f0 = m.service("f");
            double g0 = m.service("g");
            double lead = 0;
            for (int step = 0; step < STEPS / 2; step++) {
                m.step();
                lead = Math.max(lead, (m.service("g") - g0) - (m.service("f") - f0));
            }
            assertThat(lead).as("returning tenant's lead").isLessThanOrEqualTo(boundNow);
        });
    }

    @Test
    void vtc_tenantReturningFromLongIdle_banksNoCredit() {
        returningTenantBanksNoCredit(Kind.VTC);
    }

    @Test
    void drr_tenantReturningFromLongIdle_banksNoCredit() {
        returningTenantBanksNoCredit(Kind.DRR);
    }

    @Test
    void dlpm_tenantReturningFromLongIdle_banksNoCredit() {
        returningTenantBanksNoCredit(Kind.DLPM);
    }

    /** The check above can fail: FCFS, with one tenant's requests larger, leaves the VTC bound far behind. */
    @Test
    void fcfs_backloggedTenantsOfDifferentSizes_exceedTheVtcBound() {
        SplittableRandom rnd = new SplittableRandom(7);
        List<TenantSpec> specs = List.of(TenantSpec.of("f", 1), TenantSpec.of("g", 1));
        long memory = 2048;
        BatchModel m = new BatchModel(new Policy.Fcfs(), specs, memory, 3, rnd);
        m.shape("f", new BatchModel.Shape(400, 512, 100, 200, 0, 0));
        m.shape("g", new BatchModel.Shape(1, 16, 1, 16, 0, 0));
        m.backlogged("f", true);
        m.backlogged("g", true);
        for (int step = 0; step < STEPS * 4; step++) {
            m.step();
        }

        assertThat(m.service("f") - m.service("g")).isGreaterThan(bound(Kind.VTC, 512, memory, 0, 1));
    }
}
