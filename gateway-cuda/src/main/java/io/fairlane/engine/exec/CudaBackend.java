package io.fairlane.engine.exec;

import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import java.util.Objects;

/**
 * The CUDA backend: weights uploaded to one GPU, a device-resident paged KV store, and on-device sampling so
 * only token ids (and requested log probabilities) come back to the host. It delegates to the internals of
 * {@code io.fairlane.engine.cuda}.
 *
 * <p>Until that wiring lands, {@link #open} refuses with {@link BackendUnavailableException}
 * ("CUDA backend not available: ...") and {@link #probe()} reports why, so {@code backend: auto} picks the CPU
 * and logs the reason, and {@code backend: cuda} fails at startup with it.
 */
public final class CudaBackend implements ExecutionBackend {

    private CudaBackend() {
    }

    /**
     * Whether a CUDA backend could be opened here, and if not, why.
     *
     * @param usable whether {@link #open} can succeed (device, driver, kernels present)
     * @param reason a sentence for the startup log
     */
    public record Availability(boolean usable, String reason) {
        public Availability {
            Objects.requireNonNull(reason, "reason");
        }
    }

    /** Checks for a usable device without opening one. */
    public static Availability probe() {
        return new Availability(false, "the CUDA execution path is not wired into this build yet");
    }

    /**
     * Uploads {@code model} to the device(s) in {@code options}, sizes the KV store from free device memory (or
     * {@code options.kvCacheBytes()}), and takes ownership of the model.
     *
     * @throws BackendUnavailableException "CUDA backend not available: ..." with the reason
     */
    public static CudaBackend open(Model model, BackendOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        throw new BackendUnavailableException("CUDA backend not available: " + probe().reason());
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        throw unavailable();
    }

    @Override
    public ModelConfig config() {
        throw unavailable();
    }

    @Override
    public KvLayout kvLayout() {
        throw unavailable();
    }

    @Override
    public int kvBlocks() {
        throw unavailable();
    }

    @Override
    public StepResult step(BatchInput batch) {
        throw unavailable();
    }

    @Override
    public void copyBlock(int source, int target) {
        throw unavailable();
    }

    @Override
    public float[] embed(int[] tokens) {
        throw unavailable();
    }

    @Override
    public long deviceMemoryUsedBytes() {
        return 0;
    }

    @Override
    public void close() {
    }

    private static IllegalStateException unavailable() {
        return new IllegalStateException("CUDA backend not available: " + probe().reason());
    }
}
