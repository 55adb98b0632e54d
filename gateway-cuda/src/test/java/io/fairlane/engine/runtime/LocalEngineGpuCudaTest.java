package io.fairlane.engine.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Engines;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.cuda.CudaBackend;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.model.Model;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The engine contract on a GPU, plus the production opening path ({@code Engines.open}) with {@code backend: cuda}
 * and {@code auto}.
 */
@Tag("gpu")
class LocalEngineGpuCudaTest extends LocalEngineContract {

    @BeforeAll
    static void deviceUsable() {
        io.fairlane.engine.exec.ExecutionBackendProvider.Availability a = CudaBackend.probe();
        Assumptions.assumeTrue(a.usable(), () -> "skipped: no usable CUDA device: " + a.reason());
    }

    @Override
    ExecutionBackend openBackend(Model model, BackendOptions options) {
        return CudaBackend.open(model, options);
    }

    @Override
    boolean holdsDeviceMemory() {
        return true;
    }

    @Override
    boolean feedsSampledTokens() {
        return true;
    }

    private EngineConfig config(String backend) {
        return new EngineConfig("fairlane-tiny", new EngineConfig.ModelSource.Synthetic("tiny", "bf16", 3,
                root.resolve("cache")), backend, List.of(), 16, 64L << 20, 0.9, 256, 8, 2,
                new Policy.DeficitRoundRobin(512), List.of(TenantSpec.of("demo", 1)));
    }

    @Test
    void open_backendCuda_servesATextPromptOnTheGpu() {
        try (InferenceEngine engine = Engines.open(config("cuda"), SchedulerStats.disabled())) {
            PreparedPrompt prompt = engine.prepare(new Prompt.Text("Hello, tenants of Fairlane."));
            RecordingSink sink = new RecordingSink();
            engine.submit(new GenerationRequest("g1", "demo", ServiceTier.DEFAULT, "demo", prompt,
                    SamplingParams.greedy(8), 1), sink);
            assertThat(List.of(engine.model().backend(), sink.await().last() instanceof TokenEvent.Finished))
                    .containsExactly("cuda", true);
        }
    }

    @Test
    void open_backendAuto_choosesTheGpu() {
        try (InferenceEngine engine = Engines.open(config("auto"), SchedulerStats.disabled())) {
            assertThat(engine.model().backend()).isEqualTo("cuda");
        }
    }
}
