package io.fairlane.bench.gateway;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The load generator's arithmetic and prompts; its HTTP and engine paths run in bench/gpu/e2e.sh --cpu-smoke. */
class EndToEndLoadTest {

    private static final EndToEndLoad.Workload WORKLOAD = EndToEndLoad.Workload.from(Map.of("vocab", "1536",
            "system", "100", "suffix", "8"));

    @Test
    void percentile_hundredValues_nearestRank() {
        double[] values = new double[100];
        for (int i = 0; i < 100; i++) {
            values[i] = 100 - i;  // unsorted on purpose
        }
        assertEquals(99.0, EndToEndLoad.percentile(values, 99));
    }

    @Test
    void percentile_noValues_nan() {
        assertEquals(Double.NaN, EndToEndLoad.percentile(new double[0], 50));
    }

    @Test
    void prompt_twoRequests_shareTheSystemPrefix() {
        int[] a = WORKLOAD.prompt(1, 0);
        int[] b = WORKLOAD.prompt(2, 5);
        assertArrayEquals(Arrays.copyOf(a, 100), Arrays.copyOf(b, 100));
    }

    @Test
    void prompt_twoRequests_haveTheirOwnTails() {
        int[] a = WORKLOAD.prompt(1, 0);
        int[] b = WORKLOAD.prompt(1, 1);
        assertFalse(Arrays.equals(Arrays.copyOfRange(a, 100, 108), Arrays.copyOfRange(b, 100, 108)));
    }

    @Test
    void prompt_sameRequest_sameTokensInEveryRun() {
        assertArrayEquals(WORKLOAD.prompt(9, 3), EndToEndLoad.Workload.from(Map.of("vocab", "1536", "system", "100",
                "suffix", "8")).prompt(9, 3));
    }

    @Test
    void prompt_anyRequest_idsClearOfSpecialTokens() {
        int[] p = WORKLOAD.prompt(3, 7);
        assertEquals(List.of(), Arrays.stream(p).filter(id -> id < 10 || id >= 1536 - 300).boxed().toList());
    }

    @Test
    void summary_cachedAndPromptTokens_hitRatio() {
        var ok = new EndToEndLoad.Outcome("light", null, 5, new double[] {1, 2}, 100, 75, 16, 0);
        assertEquals(0.75, EndToEndLoad.summary(List.of(ok)).get("cache_hit_ratio").asDouble());
    }

    @Test
    void summary_failedRequest_countedAsErrorNotInLatencies() {
        var ok = new EndToEndLoad.Outcome("light", null, 5, new double[] {1}, 100, 0, 16, 0);
        var failed = EndToEndLoad.Outcome.failed("light", "HTTP 503");
        assertEquals(1, EndToEndLoad.summary(List.of(ok, failed)).get("errors").asInt());
    }

    @Test
    void workload_vocabularyTooSmall_refused() {
        assertThrows(IllegalArgumentException.class, () -> EndToEndLoad.Workload.from(Map.of("vocab", "300")));
    }
}
