package io.fairlane.engine.cuda;

import java.lang.foreign.Arena;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Everything one model needs on one GPU, opened in order and closed in reverse: the device (context, stream,
 * kernel modules), the GEMM (cuBLAS or the fallback kernel), the weights, the memory plan, the KV pool sized by it,
 * and the step runner. The CUDA backend holds one of these per engine.
 *
 * <p>Opening fails with {@link IllegalStateException} (the message says why: no usable device, model too large,
 * KV cache does not fit) and releases whatever it had taken. {@link #close()} frees all device memory, also on
 * model unload; it is idempotent. Threading: confined to the engine loop thread after opening.
 */
public final class CudaExecution implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(CudaExecution.class);

    /**
     * @param blockSize        tokens per KV block (the engine's block pool uses the same)
     * @param kvCacheBytes     a fixed KV pool size, or 0 to size it from free memory
     * @param memoryFraction   share of free device memory the engine may take
     * @param maxTokens        tokens per step
     * @param maxSequences     sequences per step
     * @param graphs           capture decode steps into CUDA graphs
     */
    public record Limits(int blockSize, long kvCacheBytes, double memoryFraction, int maxTokens, int maxSequences,
                         boolean graphs) {
        public Limits {
            if (blockSize <= 0 || kvCacheBytes < 0 || !(memoryFraction > 0 && memoryFraction <= 1) || maxTokens <= 0
                    || maxSequences <= 0) {
                throw new IllegalArgumentException("invalid CUDA limits: block " + blockSize + ", kv " + kvCacheBytes
                        + ", fraction " + memoryFraction + ", tokens " + maxTokens + ", sequences " + maxSequences);
            }
        }
    }

    private final DeviceRuntime device;
    private final Arena arena;
    private final Gemm gemm;
    private final DeviceWeights weights;
    private final DeviceKvCache kv;
    private final CudaModelRunner runner;
    private final MemoryPlan plan;
    private boolean closed;

    private CudaExecution(DeviceRuntime device, Arena arena, Gemm gemm, DeviceWeights weights, DeviceKvCache kv,
                          CudaModelRunner runner, MemoryPlan plan) {
        this.device = device;
        this.arena = arena;
        this.gemm = gemm;
        this.weights = weights;
        this.kv = kv;
        this.runner = runner;
        this.plan = plan;
    }

    /** Opens device {@code ordinal} and loads the model onto it. */
    public static CudaExecution open(int ordinal, CudaModelSpec spec, WeightSource source, Limits limits) {
        return open(CudaDevice.open(ordinal), spec, source, limits);
    }

    /** Loads the model onto an opened device, which this object then owns (and closes). */
    static CudaExecution open(DeviceRuntime device, CudaModelSpec spec, WeightSource source, Limits limits) {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(source, "source");
        Objects.requireNonNull(limits, "limits");
        Arena arena = Arena.ofShared();
        Gemm gemm = null;
        DeviceWeights weights = null;
        DeviceKvCache kv = null;
        try {
            DeviceRuntime.MemoryInfo before = device.memoryInfo();
            long weightBytes = DeviceWeights.deviceBytes(spec);
            long activations = new RunnerFootprint(spec, limits.maxTokens(), limits.maxSequences(),
                    limits.blockSize()).activationBytes();
            long perBlock = DeviceKvCache.bytesPerBlock(spec, limits.blockSize())
                    + RunnerFootprint.partialBytesPerBlock(spec, limits.blockSize());
            // One block is the floor, as on the CPU: the engine refuses requests longer than the pool holds and
            // logs it at start when that is shorter than the model's context.
            int minBlocks = 1;
            MemoryPlan plan = MemoryPlan.plan(before.freeBytes(), before.totalBytes(), limits.memoryFraction(),
                    weightBytes, activations, perBlock, limits.blockSize(), limits.kvCacheBytes(), minBlocks);
            LOG.info("{} on {}: {}", spec, device.describe(), plan.summary());
            gemm = GemmFactory.create(device, arena);
            weights = DeviceWeights.upload(device, spec, source);
            kv = new DeviceKvCache(device, spec, plan.kvBlocks(), limits.blockSize());
            CudaModelRunner runner = new CudaModelRunner(device, gemm, spec, weights, kv, limits.maxTokens(),
                    limits.maxSequences(), limits.graphs());
            return new CudaExecution(device, arena, gemm, weights, kv, runner, plan);
        } catch (RuntimeException e) {
            if (kv != null) {
                kv.close();
            }
            if (weights != null) {
                weights.close();
            }
            if (gemm != null) {
                gemm.close();
            }
            try {
                device.close();
            } catch (RuntimeException suppressed) {
                e.addSuppressed(suppressed);
            }
            arena.close();
            throw e;
        }
    }

    public CudaModelRunner runner() {
        return runner;
    }

    public MemoryPlan plan() {
        return plan;
    }

    /** Blocks in the device KV pool (the engine's block pool must use the same count). */
    public int kvBlocks() {
        return kv.numBlocks();
    }

    /** Device memory this engine holds, for the {@code fairlane.engine.device.memory.used} gauge. */
    public long deviceMemoryUsedBytes() {
        return device.allocatedBytes();
    }

    /** e.g. "NVIDIA H100 80GB HBM3 (sm_90, 132 SMs, driver 13.0); cuBLAS 13.0.0 (...)". */
    public String describe() {
        return device.describe() + "; " + gemm.describe();
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            runner.close();
            gemm.close();
            kv.close();
            weights.close();
        } finally {
            device.close();
            arena.close();
        }
    }
}
