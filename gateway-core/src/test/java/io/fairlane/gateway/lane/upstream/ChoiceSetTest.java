package io.fairlane.gateway.lane.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** The choice-index set of a stream's records, small indexes as bits, any other in a set. */
class ChoiceSetTest {

    private static ChoiceSet of(int... indexes) {
        ChoiceSet s = new ChoiceSet();
        for (int i : indexes) {
            s.add(i);
        }
        return s;
    }

    @Test
    void containsAll_overBitsAndOthers() {
        assertThat(of().isEmpty()).isTrue();
        assertThat(of(0).isEmpty()).isFalse();
        assertThat(of(200).isEmpty()).isFalse();
        assertThat(of(0, 1, 63).containsAll(of(1, 63))).isTrue();
        assertThat(of(0, 1).containsAll(of(0, 2))).isFalse();
        assertThat(of(0, 64, -1).containsAll(of(64, -1, 0))).isTrue();
        assertThat(of(0).containsAll(of(0, 64))).isFalse();
        assertThat(of(0, 64).containsAll(of(0, 65))).isFalse();
        assertThat(of(5, 70).containsAll(of())).isTrue();
        assertThat(of(5, 70).contains(5)).isTrue();
        assertThat(of(5, 70).contains(70)).isTrue();
        assertThat(of(5, 70).contains(6)).isFalse();
        assertThat(of(5).contains(-3)).isFalse();
    }
}
