package io.fairlane.bench.engine;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CPU benchmark's command line on a tiny model: what bench/cpu/run.sh relies on, not its figures. */
class CpuBenchTest {

    @TempDir
    Path root;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return CpuBench.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void bench_tinyModel_printsAResultPerBatch() {
        Path dir = TestModels.synthetic(root, "tiny", DType.BF16, 1);
        assertThat(run("bench", "--model", dir.toString(), "--batch", "1,2", "--tokens", "2", "--warmup", "1"))
                .isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("RESULT model=", "batch=1 ", "batch=2 ");
    }

    @Test
    void bench_withoutModel_isUsageError() {
        assertThat(run("bench", "--batch", "1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--model is required");
    }

    @Test
    void bandwidth_misspeltOption_isUsageError() {
        assertThat(run("bandwidth", "--gb", "1")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown option --gb");
    }
}
