package io.fairlane.engine.sampling;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.FinishReason;
import io.fairlane.engine.SamplingParams;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class StopConditionsTest {

    static SamplingParams params(int maxTokens, boolean ignoreEos) {
        return new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0, maxTokens, List.of(),
                ignoreEos);
    }

    @Test
    void check_anyOfTheModelsEosIds_stops() {
        StopConditions c = new StopConditions(List.of(128001, 128009), params(10, false), 1000);
        assertThat(c.check(128009, 1, 5)).contains(FinishReason.STOP);
    }

    @Test
    void check_ignoreEos_keepsGoing() {
        StopConditions c = new StopConditions(List.of(2), params(10, true), 1000);
        assertThat(c.check(2, 1, 5)).isEmpty();
    }

    @Test
    void check_maxTokensReached_isLength() {
        StopConditions c = new StopConditions(List.of(2), params(3, false), 1000);
        assertThat(c.check(7, 3, 5)).contains(FinishReason.LENGTH);
    }

    @Test
    void check_contextFull_isLength() {
        StopConditions c = new StopConditions(List.of(2), params(100, false), 8);
        assertThat(c.check(7, 1, 8)).contains(FinishReason.LENGTH);
    }

    @Test
    void check_eosOnLastAllowedToken_isStop() {
        StopConditions c = new StopConditions(List.of(2), params(3, false), 1000);
        assertThat(c.check(2, 3, 5)).contains(FinishReason.STOP);
    }

    @Test
    void check_ordinaryToken_continues() {
        StopConditions c = new StopConditions(List.of(2), params(3, false), 1000);
        assertThat(c.check(7, 1, 5)).isEmpty();
    }
}
