package io.fairlane.bench.soak;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.bench.BenchArgs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The soak in miniature, as the test suite runs it: 25 seconds of the same mixed load with Netty's leak detector
 * at paranoid in the gateway, which must end with no unexpected error, no leaked buffer, and no request, queue
 * entry or KV block left behind. Memory flatness needs the long run ({@code bench/soak/run.sh}).
 */
class SoakBenchTest {

    @Test
    void shortSoak_paranoidLeakDetection_cleanOnEveryCount() throws Exception {
        Path work = Files.createTempDirectory("soak-test");
        SoakBench.Result r = SoakBench.run(BenchArgs.parse(List.of("--duration-s", "25", "--warmup-s", "5",
                "--clients", "8", "--abort-ratio", "0.1", "--failure-ratio", "0.05", "--sample-s", "5",
                "--leak-detection", "paranoid", "--rss-slack", "100", "--work-dir", work.toString(), "--classpath",
                System.getProperty("java.class.path")), Set.of("duration-s", "warmup-s", "clients", "abort-ratio",
                "failure-ratio", "sample-s", "leak-detection", "rss-slack", "work-dir", "classpath")));
        String report = SoakBench.report(r);
        assertThat(r.tally().get("ok")).as(report).isPositive();
        assertThat(r.tally().get("unexpected")).as(report).isZero();
        assertThat(r.leaks()).as(report).isEmpty();
        assertThat(r.leftovers().values()).as(report).allMatch(v -> v == 0);
    }
}
