package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

class ReplicaDeficitsTest {

    @Test
    void choose_tenantWithinItsShare_keepsItsPreferredReplica() {
        ReplicaDeficits d = new ReplicaDeficits(1000);

        assertThat(d.choose("t", 1, "a", Set.of("a", "b"), 400)).isEqualTo("a");
        assertThat(d.choose("t", 1, "a", Set.of("a", "b"), 400)).isEqualTo("a");
    }

    @Test
    void choose_tenantPinningOneReplica_isSpreadOnceItsDeficitThereIsSpent() {
        ReplicaDeficits d = new ReplicaDeficits(1000);
        Map<String, Integer> sent = new HashMap<>();
        for (int i = 0; i < 30; i++) {
            sent.merge(d.choose("t", 1, "a", Set.of("a", "b", "c"), 500), 1, Integer::sum);
        }

        assertThat(sent.get("a")).isEqualTo(10);
        assertThat(sent).containsOnlyKeys("a", "b", "c");
    }

    @Test
    void choose_heavierWeight_staysLongerOnItsPreferredReplica() {
        ReplicaDeficits d = new ReplicaDeficits(1000);
        int light = 0;
        int heavy = 0;
        for (int i = 0; i < 4; i++) {
            light += d.choose("light", 1, "a", Set.of("a", "b"), 500).equals("a") ? 1 : 0;
            heavy += d.choose("heavy", 2, "a", Set.of("a", "b"), 500).equals("a") ? 1 : 0;
        }

        assertThat(heavy).isGreaterThan(light);
    }
}
