package io.fairlane.engine.cuda;

import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.BackendUnavailableException;
import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.exec.ExecutionBackendProvider.Availability;
import io.fairlane.engine.exec.KvLayout;
import io.fairlane.engine.exec.PendingStep;
import io.fairlane.engine.exec.SequenceInput;
import io.fairlane.engine.exec.SequenceOutput;
import io.fairlane.engine.exec.StepResult;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.Tensor;
import io.fairlane.engine.sampling.LogitAdjustments;
import io.fairlane.engine.sampling.SampleResult;
import io.fairlane.engine.sampling.Sampler;
import io.fairlane.engine.sampling.SamplingState;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The CUDA backend: weights uploaded to one GPU in bf16, a device-resident bf16 paged KV store sized from free
 * device memory, the project's kernels with cuBLAS for the matrix products, and on-device sampling with the
 * {@link io.fairlane.engine.sampling.Sampler}'s algorithm and random numbers, so only token ids and the log
 * probabilities a request asked for come back to the host; a choice under an output constraint (forced tool call,
 * JSON mode) instead gets its logits row back and is sampled on the host, where the constraint's automaton is. A
 * thin adapter over
 * {@link io.fairlane.engine.cuda.CudaExecution}; design and status in {@code docs/cuda.md}.
 *
 * <p>Confined to the engine loop thread after opening, like the CUDA context it holds.
 */
public final class CudaBackend implements ExecutionBackend {

    /** bf16 KV elements. */
    static final int KV_BYTES_PER_ELEMENT = 2;

    private final Model model;
    private final CudaExecution execution;
    private final KvLayout layout;
    private boolean closed;
    /** Per sequence of the last submitted step: its sampled row on the device, or -1; null when none can be named. */
    private int[] previousSampleRows;

    CudaBackend(Model model, CudaExecution execution, int blockSize) {
        this.model = Objects.requireNonNull(model, "model");
        this.execution = Objects.requireNonNull(execution, "execution");
        this.layout = KvLayout.of(model.config(), blockSize, KV_BYTES_PER_ELEMENT);
    }

    /**
     * Checks for a usable device without opening one. Safe on any machine: without an NVIDIA driver it answers
     * "no NVIDIA driver: libcuda.so.1 cannot be loaded (...)" rather than failing to link.
     */
    public static Availability probe() {
        CudaProbe.Result r = CudaProbe.probe();
        return new Availability(r.usable(), r.usable() ? r.summary() : r.reason());
    }

    /** Loads a model onto a device: {@link CudaExecution#open} in production, an emulated device in tests. */
    @FunctionalInterface
    interface ExecutionOpener {
        CudaExecution open(int device, CudaModelSpec spec, WeightSource weights, CudaExecution.Limits limits);
    }

    /**
     * Uploads {@code model} to the first device of {@code options} (device 0 when none is named), sizes the KV
     * store from free device memory (or {@code options.kvCacheBytes()}), and takes ownership of the model.
     *
     * @throws BackendUnavailableException "CUDA backend not available: ..." with the reason (no usable device, a
     *         shape the kernels do not serve, not enough device memory)
     */
    public static CudaBackend open(Model model, BackendOptions options) {
        Availability availability = probe();
        if (!availability.usable()) {
            throw new BackendUnavailableException("CUDA backend not available: " + availability.reason());
        }
        return open(model, options, CudaExecution::open);
    }

    static CudaBackend open(Model model, BackendOptions options, ExecutionOpener opener) {
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(options, "options");
        if (options.devices().size() > 1) {
            throw new BackendUnavailableException("CUDA backend not available: " + options.devices().size()
                    + " devices configured, but one model runs on one GPU (no tensor parallelism); name one device");
        }
        int device = options.devices().isEmpty() ? 0 : options.devices().getFirst();
        CudaModelSpec spec;
        try {
            spec = CudaModelSpec.of(model.config());
        } catch (IllegalArgumentException e) {
            throw new BackendUnavailableException("CUDA backend not available for this model: " + e.getMessage(), e);
        }
        CudaExecution.Limits limits = new CudaExecution.Limits(options.kvBlockSize(), options.kvCacheBytes(),
                options.deviceMemoryFraction(), options.maxBatchTokens(), options.maxSequences(),
                !Boolean.getBoolean("fairlane.cuda.noGraphs"));
        try {
            return new CudaBackend(model, opener.open(device, spec, weightsOf(model), limits), options.kvBlockSize());
        } catch (IllegalStateException | CudaException e) {
            throw new BackendUnavailableException("CUDA backend not available: " + e.getMessage(), e);
        }
    }

    /** The model's tensors, by name, as the uploader reads them (memory-mapped; nothing copied on the heap). */
    static WeightSource weightsOf(Model model) {
        return name -> model.files().find(name).map(CudaBackend::hostTensor);
    }

    private static HostTensor hostTensor(Tensor t) {
        HostTensor.DType dtype = switch (t.dtype()) {
            case BF16 -> HostTensor.DType.BF16;
            case F16 -> HostTensor.DType.F16;
            case F32 -> HostTensor.DType.F32;
        };
        return new HostTensor(dtype, t.shape(), t.data());
    }

    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public String describe() {
        return "CUDA: " + execution.describe() + "; " + execution.plan().summary();
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
        return execution.kvBlocks();
    }

    @Override
    public StepResult step(BatchInput batch) {
        return submit(batch).await();
    }

    /**
     * Queues the step on the device and returns at once; {@link SequenceInput#sampledBy} tokens become the
     * runner's device-side references to the previous step's sampled rows.
     */
    @Override
    public PendingStep submit(BatchInput batch) {
        Objects.requireNonNull(batch, "batch");
        requireOpen();
        int[] previous = previousSampleRows;
        List<StepSequence> steps = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            steps.add(toStep(batch.sequences().get(i), i, previous));
        }
        previousSampleRows = null;  // a refused batch queues nothing, so nothing it names can be referred to
        CudaModelRunner.Pending pending = execution.runner().submit(steps);
        int[] rows = new int[batch.size()];
        for (int i = 0; i < rows.length; i++) {
            rows[i] = pending.sampledRow(i);
        }
        previousSampleRows = rows;
        return () -> outputs(batch, pending.await());
    }

    @Override
    public boolean feedsSampledTokens() {
        return true;
    }

    private static StepResult outputs(BatchInput batch, io.fairlane.engine.cuda.StepResult r) {
        List<SequenceOutput> outputs = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            outputs.add(switch (batch.sequences().get(i).output()) {
                case NONE -> SequenceOutput.Nothing.INSTANCE;
                case SAMPLE -> new SequenceOutput.Sampled(sampledOnHost(batch.sequences().get(i))
                        ? Sampler.sample(r.logits(i), batch.sequences().get(i).sampling())
                        : new SampleResult(r.token(i), r.logprob(i), r.topIds(i), r.topLogprobs(i)));
                case LOGITS -> new SequenceOutput.Logits(r.logits(i));
                case HIDDEN_MEAN -> new SequenceOutput.HiddenMean(r.pooled(i));
            });
        }
        return new StepResult(outputs);
    }

    /**
     * Whether this sequence's token is drawn on the host from its logits row rather than on the device: a choice
     * under an output constraint, whose automaton (and the vocabulary's token bytes it walks) lives on the host.
     * The device returns that row in full (one vocabulary of floats per constrained sequence and step) and the
     * host {@link Sampler} masks and draws with the same algorithm and random numbers as the CPU backend.
     */
    private static boolean sampledOnHost(SequenceInput s) {
        return s.output() == SequenceInput.Output.SAMPLE && s.sampling().constraint() != null;
    }

    private static StepSequence toStep(SequenceInput s, int index, int[] previous) {
        int[] tokens = s.tokens();
        boolean fedOnDevice = tokens.length == 1 && tokens[0] < 0;
        for (int k = 0; k < tokens.length; k++) {
            if (tokens[k] >= 0) {
                continue;
            }
            int from = -tokens[k] - 1;
            if (previous == null || from >= previous.length || previous[from] < 0) {
                throw new IllegalArgumentException("sequence " + index + " takes its token from sequence " + from
                        + " of the previous step, which " + (previous == null ? "was not submitted here or was"
                        + " followed by other device work" : "sampled nothing there"));
            }
            if (tokens.length != 1) {
                throw new IllegalArgumentException("sequence " + index + ": only a one-token decode may take its"
                        + " token from the previous step");
            }
            tokens = new int[] {-(previous[from] + 1)};
        }
        s = new SequenceInput(tokens, s.startPosition(), s.blockTable(), s.output(), s.sampling());
        StepSequence.Output output = switch (s.output()) {
            case NONE -> StepSequence.Output.NONE;
            case SAMPLE -> StepSequence.Output.SAMPLE;
            case LOGITS -> StepSequence.Output.LOGITS;
            case HIDDEN_MEAN -> StepSequence.Output.HIDDEN_MEAN;
        };
        if (sampledOnHost(s)) {
            output = StepSequence.Output.LOGITS;
        }
        if (output != StepSequence.Output.SAMPLE) {
            return new StepSequence(s.tokens(), s.startPosition(), s.blockTable(), output, null, null, null);
        }
        SamplingState state = s.sampling();
        var p = state.params();
        LogitAdjustments adjust = state.adjustments();
        // A token read from the previous step's samples has not reached the state yet: this draw is one further on.
        long counter = state.counter() + (fedOnDevice ? 1 : 0);
        return new StepSequence(s.tokens(), s.startPosition(), s.blockTable(), output,
                new StepSequence.SampleSpec((float) p.temperature(), (float) p.topP(), (float) p.minP(), p.topK(),
                        state.seed(), counter, state.logprobs()),
                adjust.tokens(), adjust.deltas());
    }

    @Override
    public void copyBlock(int source, int target) {
        requireOpen();
        execution.runner().copyBlocks(new int[] {source, target});
    }

    @Override
    public float[] embed(int[] tokens) {
        Objects.requireNonNull(tokens, "tokens");
        requireOpen();
        if (tokens.length == 0) {
            throw new IllegalArgumentException("embedding input must have at least one token");
        }
        previousSampleRows = null;  // embedding steps reuse the device's step outputs
        return execution.runner().embed(tokens);
    }

    @Override
    public long deviceMemoryUsedBytes() {
        return closed ? 0 : execution.deviceMemoryUsedBytes();
    }

    private void requireOpen() {
        if (closed) {
            throw new IllegalStateException("CUDA backend is closed");
        }
    }

    /** Frees all device memory (weights, KV store, buffers, graphs, context), then closes the model. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            execution.close();
        } finally {
            model.close();
        }
    }

    @Override
    public String toString() {
        return "CudaBackend[" + model.config().family().modelType() + ", " + execution.describe() + "]";
    }

    /** For tests: the model's spec when the kernels can serve it, or why not. */
    static Optional<String> unsupportedReason(ModelConfig config) {
        try {
            CudaModelSpec.of(config);
            return Optional.empty();
        } catch (IllegalArgumentException e) {
            return Optional.of(e.getMessage());
        }
    }
}
