package io.fairlane.engine.runtime;

import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.Preemption;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.exec.BatchInput;
import io.fairlane.engine.exec.PendingStep;
import io.fairlane.engine.exec.SequenceInput;
import io.fairlane.engine.exec.SequenceOutput;
import io.fairlane.engine.exec.StepResult;
import io.fairlane.engine.kv.BlockCopy;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.sampling.SampleResult;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.Tokenizer;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.TenantSpec;
import io.fairlane.scheduler.Ticker;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * The engine loop's host time per step, and how much of a device step overlap hides, measured without a GPU: the
 * real {@link LocalEngine} (tenant scheduler, KV bookkeeping, batch scheduler, the built-in tokenizer's incremental
 * detokenizer, stop checks, events) drives a stand-in device that does no arithmetic. The device runs each submitted
 * step on its own thread, in order, taking a fixed time ({@code --device-us}) and answering every sampled row with a
 * token (reading fed-back tokens from the previous step's answers when the loop runs ahead). With no device time
 * the loop's step period is its host time; with device time, the step period shows what overlap hides:
 * {@code host + device} one step at a time, about {@code max(host, device)} a step ahead.
 *
 * <p>Per batch size ({@code --batch 1,8,64,256}): that many greedy requests of {@code --prompt} tokens decode
 * {@code --tokens} tokens each, all at once; the step period is the decode phase's wall time over its steps.
 *
 * <p>Run: {@code bench/engine/run-loop.sh [--batch 1,8,64,256] [--device-us 0,2000] [--tokens 256]}.
 */
public final class EngineLoopBench {

    private static final int VOCAB = BuiltinTokenizer.VOCAB_SIZE;
    /** Ids of ordinary tokens: clear of the special and added tokens at the top of the built-in vocabulary. */
    private static final int ORDINARY = VOCAB - 310;

    private EngineLoopBench() {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opts = new java.util.HashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            opts.put(args[i].replaceFirst("^--", ""), args[i + 1]);
        }
        List<Integer> batches = ints(opts.getOrDefault("batch", "1,8,64,256"));
        List<Integer> deviceMicros = ints(opts.getOrDefault("device-us", "0,1000,5000"));
        int prompt = Integer.parseInt(opts.getOrDefault("prompt", "16"));
        int tokens = Integer.parseInt(opts.getOrDefault("tokens", "256"));
        Path dir = Files.createTempDirectory("fairlane-loop-bench");
        BuiltinTokenizer.writeTo(dir);
        TextCodec codec = LocalEngines.codec(Tokenizer.load(dir.resolve("tokenizer.json")));
        System.out.printf(Locale.ROOT, "[setup] prompt=%d tokens=%d cores=%d%n", prompt, tokens,
                Runtime.getRuntime().availableProcessors());
        for (int device : deviceMicros) {
            for (int batch : batches) {
                double[] off = stepMillis(codec, batch, prompt, tokens, device, false);
                double[] on = stepMillis(codec, batch, prompt, tokens, device, true);
                double host = off[0] - off[1];
                System.out.printf(Locale.ROOT, "[loop] device_us=%d batch=%d device_ms_per_step=%.3f step_ms "
                                + "one_at_a_time=%.3f a_step_ahead=%.3f host_ms_per_step=%.3f hidden=%s%n", device,
                        batch, off[1], off[0], on[0], host, device == 0 ? "n/a" : String.format(Locale.ROOT, "%.0f%%",
                                100 * Math.min(1, (off[0] - on[0]) / Math.min(host, on[1]))));
            }
        }
        System.exit(0);
    }

    private static List<Integer> ints(String s) {
        List<Integer> out = new ArrayList<>();
        for (String p : s.split(",")) {
            out.add(Integer.parseInt(p.trim()));
        }
        return out;
    }

    /**
     * Mean wall time per decode step of {@code batch} requests decoding together, and the device's own time per step
     * as it measured it (its sleeps overshoot the nominal time): the best of three runs.
     */
    static double[] stepMillis(TextCodec codec, int batch, int prompt, int tokens, int deviceMicros, boolean overlap)
            throws Exception {
        double[] best = {Double.MAX_VALUE, 0};
        for (int run = 0; run < 3; run++) {
            double[] r = once(codec, batch, prompt, tokens, deviceMicros, overlap);
            if (r[0] < best[0]) {
                best = r;
            }
        }
        return best;
    }

    private static double[] once(TextCodec codec, int batch, int prompt, int tokens, int deviceMicros,
                               boolean overlap) throws Exception {
        int blocks = batch * ((prompt + tokens) / 16 + 2);
        FakeDevice device = new FakeDevice(deviceMicros * 1000L, overlap);
        List<TenantSpec> tenants = List.of(TenantSpec.of("t", 1).withQueueBounds(100_000, Long.MAX_VALUE));
        ModelInfo info = new ModelInfo("loop", "llama", prompt + tokens + 16, VOCAB, 64, false, "fake", "fp-loop",
                List.of());
        LocalEngine engine = new LocalEngine(info, device, codec, p -> { throw new UnsupportedOperationException(); },
                new KvCacheManager(blocks, 16), matcher -> TenantSchedulers.create(new Policy.DeficitRoundRobin(1 << 20),
                        tenants, CostWeights.DEFAULT, matcher, Ticker.system(), SchedulerStats.disabled()),
                Ticker.system(), new LocalEngine.Limits(batch * prompt + batch, batch, tenants, Preemption.none(),
                        overlap));
        try {
            SamplingParams greedy = new SamplingParams(0, 1, 0, 0, OptionalLong.empty(), 0, 0, Map.of(), false, 0,
                    tokens, List.of(), true);
            AtomicLong decoded = new AtomicLong();
            AtomicLong firstDecode = new AtomicLong();
            List<CompletableFuture<Long>> done = new ArrayList<>();
            for (int i = 0; i < batch; i++) {
                int[] p = new int[prompt];
                for (int k = 0; k < prompt; k++) {
                    p[k] = 10 + (i * 31 + k * 7) % ORDINARY;
                }
                CompletableFuture<Long> end = new CompletableFuture<>();
                done.add(end);
                engine.submit(new GenerationRequest("l" + i, "t", ServiceTier.DEFAULT, "t", new PreparedPrompt(p, ""),
                        greedy, 1), event -> {
                            if (event instanceof TokenEvent.Token) {
                                if (decoded.incrementAndGet() == batch) {
                                    firstDecode.set(System.nanoTime()); // every sequence has its first token
                                }
                            } else if (event instanceof TokenEvent.Finished || event instanceof TokenEvent.Failed) {
                                end.complete(System.nanoTime());
                            }
                        });
            }
            long last = 0;
            for (CompletableFuture<Long> f : done) {
                last = Math.max(last, f.get(10, TimeUnit.MINUTES));
            }
            return new double[] {(last - firstDecode.get()) / 1e6 / (tokens - 1), device.meanStepMillis()};
        } finally {
            engine.close();
            device.close();
        }
    }

    /**
     * A device that takes {@code stepNanos} per step on its own thread and answers every sampled row with a token
     * derived from its position; with feedback on, a decode's token may be what a row of the previous step sampled.
     */
    private static final class FakeDevice implements StepExecutor {

        private final long stepNanos;
        private final boolean feedback;
        private final ExecutorService thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "fake-device");
            t.setDaemon(true);
            return t;
        });
        /** Written and read on the device thread only. */
        private int[] lastSampled = new int[0];
        private volatile long busyNanos;
        private volatile long steps;

        FakeDevice(long stepNanos, boolean feedback) {
            this.stepNanos = stepNanos;
            this.feedback = feedback;
        }

        @Override
        public StepResult step(List<BlockCopy> copies, BatchInput batch) {
            return submit(copies, batch).await();
        }

        @Override
        public PendingStep submit(List<BlockCopy> copies, BatchInput batch) {
            Future<StepResult> f = thread.submit(() -> run(batch));
            return () -> {
                try {
                    return f.get();
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            };
        }

        private StepResult run(BatchInput batch) {
            long begin = System.nanoTime();
            long until = begin + stepNanos;
            List<SequenceOutput> outputs = new ArrayList<>(batch.size());
            int[] sampled = new int[batch.size()];
            for (int i = 0; i < batch.size(); i++) {
                SequenceInput in = batch.sequences().get(i);
                int last = in.tokens()[in.tokens().length - 1];
                if (last < 0) {
                    last = lastSampled[-last - 1];
                }
                int token = 10 + Math.floorMod(last * 31 + in.endPosition(), ORDINARY);
                sampled[i] = token;
                outputs.add(switch (in.output()) {
                    case NONE -> SequenceOutput.Nothing.INSTANCE;
                    case SAMPLE -> new SequenceOutput.Sampled(new SampleResult(token, Float.NaN, new int[0],
                            new float[0]));
                    case LOGITS -> new SequenceOutput.Logits(new float[VOCAB]);
                    case HIDDEN_MEAN -> new SequenceOutput.HiddenMean(new float[64]);
                });
            }
            lastSampled = sampled;
            while (System.nanoTime() < until) {
                LockSupport.parkNanos(Math.max(1, until - System.nanoTime()));
            }
            busyNanos += System.nanoTime() - begin;
            steps++;
            return new StepResult(outputs);
        }

        double meanStepMillis() {
            return steps == 0 ? 0 : busyNanos / 1e6 / steps;
        }

        @Override
        public boolean feedsSampledTokens() {
            return feedback;
        }

        @Override
        public float[] embed(int[] tokens) {
            return new float[64];
        }

        @Override
        public long deviceMemoryUsedBytes() {
            return 0;
        }

        @Override
        public void close() {
            thread.shutdownNow();
        }
    }
}
