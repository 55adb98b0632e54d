package io.fairlane.scheduler;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlowHeapTest {

    private static List<TenantFlow> flows(int n) {
        List<TenantFlow> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new TenantAccount(TenantSpec.of("t" + i, 1), i, 0).main);
        }
        return out;
    }

    @Test
    void randomAddsRemovesAndUpdates_peekIsAlwaysTheSmallestKeyThenTie() {
        PropertyCheck.forAll(30, rnd -> {
            List<TenantFlow> all = flows(rnd.nextInt(1, 80));
            FlowHeap heap = new FlowHeap();
            Map<TenantFlow, double[]> reference = new HashMap<>();
            for (int op = 0; op < 400; op++) {
                TenantFlow f = all.get(rnd.nextInt(all.size()));
                double key = rnd.nextInt(20);
                long tie = rnd.nextInt(1000);
                if (reference.containsKey(f)) {
                    if (rnd.nextBoolean()) {
                        heap.remove(f);
                        reference.remove(f);
                    } else {
                        heap.update(f, key, tie);
                        reference.put(f, new double[] {key, tie});
                    }
                } else {
                    heap.add(f, key, tie);
                    reference.put(f, new double[] {key, tie});
                }
                assertThat(heap.size()).isEqualTo(reference.size());
                if (!reference.isEmpty()) {
                    double[] min = reference.values().stream()
                            .min((a, b) -> a[0] != b[0] ? Double.compare(a[0], b[0]) : Double.compare(a[1], b[1]))
                            .orElseThrow();
                    assertThat(new double[] {heap.peekKey(), heap.peekTie()}).containsExactly(min);
                }
            }
        });
    }

    @Test
    void add_flowAlreadyInTheHeap_isRefused() {
        TenantFlow f = flows(1).getFirst();
        FlowHeap heap = new FlowHeap();
        heap.add(f, 1, 1);

        assertThatThrownBy(() -> heap.add(f, 2, 2)).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void poll_drainsInKeyOrder() {
        List<TenantFlow> all = flows(5);
        FlowHeap heap = new FlowHeap();
        double[] keys = {3, 1, 4, 1.5, 9};
        for (int i = 0; i < 5; i++) {
            heap.add(all.get(i), keys[i], i);
        }
        List<TenantFlow> order = new ArrayList<>();
        while (!heap.isEmpty()) {
            order.add(heap.poll());
        }

        assertThat(order).containsExactly(all.get(1), all.get(3), all.get(0), all.get(2), all.get(4));
    }
}
