package io.fairlane.engine.tools;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.TestModels;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ModelCliTest {

    @TempDir
    Path root;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return ModelCli.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    @Test
    void synth_writesALoadableModelDirectory() {
        Path tok = TestModels.tokenizer(root.resolve("tok"), TestModels.VOCAB);
        Path dir = root.resolve("m");
        int code = run("synth", "--shape", "tiny-qwen3", "--tokenizer", tok.toString(), "--dtype", "f32", "--seed",
                "3", "--out", dir.toString());
        assertThat(code).isZero();
        assertThat(ModelConfig.load(dir).vocabSize()).isEqualTo(TestModels.VOCAB);
    }

    @Test
    void synth_withoutShape_isUsageError() {
        assertThat(run("synth", "--tokenizer", "x", "--out", "y")).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("--shape is required");
    }

    @Test
    void synth_unknownDtype_isUsageError() {
        assertThat(run("synth", "--shape", "tiny", "--tokenizer", "x", "--out", "y", "--dtype", "int4")).isEqualTo(2);
    }

    @Test
    void synth_missingTokenizer_failsWithTheReason() {
        int code = run("synth", "--shape", "tiny", "--tokenizer", root.resolve("none").toString(), "--out",
                root.resolve("m").toString());
        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("tokenizer.json");
    }

    @Test
    void unknownCommand_isUsageError() {
        assertThat(run("frobnicate")).isEqualTo(2);
    }

    @Test
    void shapes_listsEveryRequiredShape() {
        run("shapes");
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("tiny ", "llama-110m", "qwen3-0.6b", "llama-3.2-1b",
                "llama-3.1-8b", "tiny-mistral");
    }

    @Test
    void inspect_corruptModel_failsNamingTheProblem() throws Exception {
        Path dir = TestModels.synthetic(root, "tiny", io.fairlane.engine.model.DType.BF16, 1);
        java.nio.file.Files.write(dir.resolve("model.safetensors"), new byte[] {1, 2});
        assertThat(run("inspect", dir.toString())).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("truncated");
    }
}
