package io.fairlane.engine.exec;

import io.fairlane.engine.cpu.Chunk;
import io.fairlane.engine.cpu.CpuModelRunner;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.sampling.SampleResult;
import io.fairlane.engine.sampling.Sampler;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The CPU backend: weights read from the memory-mapped safetensors files (bf16 linear layers repacked once into
 * off-heap panels for the matmuls), an off-heap f32 paged KV store, the Vector API forward pass of
 * {@link CpuModelRunner} over a fixed pool of worker threads, and host-side sampling with the same
 * {@link Sampler} the CUDA kernel mirrors (rows sampled in parallel).
 *
 * <p>Confined to the engine loop thread after opening.
 */
public final class CpuBackend implements ExecutionBackend {

    /** f32 KV elements. */
    static final int KV_BYTES_PER_ELEMENT = 4;

    private final Model model;
    private final CpuModelRunner runner;
    private final KvLayout layout;
    private boolean closed;

    private CpuBackend(Model model, CpuModelRunner runner, KvLayout layout) {
        this.model = model;
        this.runner = runner;
        this.layout = layout;
    }

    /**
     * Opens the CPU backend over {@code model}, which it then owns (closing the backend closes it). The KV store
     * takes {@code options.kvCacheBytes()}, or when that is 0 the default of {@link #defaultKvBytes}.
     *
     * @throws BackendUnavailableException when the KV store would not hold a single block
     */
    public static CpuBackend open(Model model, BackendOptions options) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        ModelConfig config = model.config();
        KvLayout layout = KvLayout.of(config, options.kvBlockSize(), KV_BYTES_PER_ELEMENT);
        long bytes = options.kvCacheBytes() > 0 ? options.kvCacheBytes() : defaultKvBytes(layout, config, options);
        long blocks = bytes / layout.bytesPerBlock();
        if (blocks < 1) {
            throw new BackendUnavailableException("CPU backend: a KV cache of " + bytes + " bytes does not hold one"
                    + " block of " + layout.bytesPerBlock() + " bytes");
        }
        if (blocks > Integer.MAX_VALUE) {
            blocks = Integer.MAX_VALUE;
        }
        int threads = options.threads() > 0 ? options.threads() : Runtime.getRuntime().availableProcessors();
        CpuModelRunner runner = CpuModelRunner.create(model, options.kvBlockSize(), (int) blocks, threads);
        return new CpuBackend(model, runner, layout);
    }

    /**
     * A CPU serves a few dozen sequences at most before compute runs out, so the default holds
     * {@value #DEFAULT_SEQUENCES} sequences of up to {@value #DEFAULT_TOKENS} tokens (fewer when the model's context
     * or the configured sequence limit is smaller), within an eighth of physical memory.
     */
    static long defaultKvBytes(KvLayout layout, ModelConfig config, BackendOptions options) {
        long physical = physicalMemoryBytes();
        int tokens = Math.min(config.contextLength(), DEFAULT_TOKENS);
        long wanted = layout.bytesPerBlock() * layout.blocksFor(tokens)
                * Math.min(options.maxSequences(), DEFAULT_SEQUENCES);
        return Math.max(layout.bytesPerBlock(), Math.min(physical / 8, wanted));
    }

    static final int DEFAULT_SEQUENCES = 32;
    static final int DEFAULT_TOKENS = 8192;

    private static long physicalMemoryBytes() {
        if (ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os) {
            return os.getTotalMemorySize();
        }
        return Runtime.getRuntime().maxMemory();
    }

    /** Worker threads of the forward pass, the calling thread included. */
    public int threads() {
        return runner.threads();
    }

    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public String describe() {
        return "CPU: " + runner.threads() + " threads, " + CpuModelRunner.vectorBits() + "-bit vectors, "
                + runner.kvBlocks() + " KV blocks of " + layout.blockSize() + " tokens (" + runner.kvBytes() / (1 << 20)
                + " MiB f32), " + runner.packedWeightBytes() / (1 << 20) + " MiB of bf16 weights repacked into panels";
    }

    @Override
    public ModelConfig config() {
        return model.config();
    }

    @Override
    public KvLayout kvLayout() {
        return layout;
    }

    @Override
    public int kvBlocks() {
        return runner.kvBlocks();
    }

    @Override
    public StepResult step(BatchInput batch) {
        Objects.requireNonNull(batch, "batch");
        requireOpen();
        List<Chunk> chunks = new ArrayList<>(batch.size());
        for (SequenceInput s : batch.sequences()) {
            Chunk.Readout readout = switch (s.output()) {
                case NONE -> Chunk.Readout.NONE;
                case SAMPLE, LOGITS -> Chunk.Readout.LOGITS;
                case HIDDEN_MEAN -> Chunk.Readout.HIDDEN_MEAN;
            };
            chunks.add(new Chunk(s.tokens(), s.startPosition(), s.blockTable(), readout));
        }
        float[][] rows = runner.forward(chunks);
        SequenceOutput[] outputs = new SequenceOutput[batch.size()];
        List<Integer> toSample = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            SequenceInput s = batch.sequences().get(i);
            outputs[i] = switch (s.output()) {
                case NONE -> SequenceOutput.Nothing.INSTANCE;
                case LOGITS -> new SequenceOutput.Logits(rows[i]);
                case HIDDEN_MEAN -> new SequenceOutput.HiddenMean(rows[i]);
                case SAMPLE -> {
                    toSample.add(i);
                    yield null;
                }
            };
        }
        runner.parallelFor(toSample.size(), (j, worker) -> {
            int i = toSample.get(j);
            SampleResult r = Sampler.sample(rows[i], batch.sequences().get(i).sampling());
            outputs[i] = new SequenceOutput.Sampled(r);
        });
        return new StepResult(List.of(outputs));
    }

    @Override
    public void copyBlock(int source, int target) {
        requireOpen();
        runner.copyBlock(source, target);
    }

    @Override
    public float[] embed(int[] tokens) {
        Objects.requireNonNull(tokens, "tokens");
        requireOpen();
        if (tokens.length == 0) {
            throw new IllegalArgumentException("embedding input must have at least one token");
        }
        return runner.embed(tokens);
    }

    @Override
    public long deviceMemoryUsedBytes() {
        return 0;
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("CPU backend is closed");
        }
    }

    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            runner.close();
        } finally {
            model.close();
        }
    }

    @Override
    public String toString() {
        return "CpuBackend[" + runner + "]";
    }
}
