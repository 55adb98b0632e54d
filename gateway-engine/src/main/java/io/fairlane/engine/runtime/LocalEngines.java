package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.PromptTokenizer;
import io.fairlane.engine.exec.BackendOptions;
import io.fairlane.engine.exec.BackendUnavailableException;
import io.fairlane.engine.exec.ExecutionBackend;
import io.fairlane.engine.exec.ExecutionBackendProvider;
import io.fairlane.engine.kv.KvCacheManager;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.ModelFormatException;
import io.fairlane.engine.model.SyntheticModels;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.IncrementalDetokenizer;
import io.fairlane.engine.tokenizer.Tokenizer;
import io.fairlane.scheduler.CostWeights;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.TenantSchedulers;
import io.fairlane.scheduler.Ticker;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Opens a {@link LocalEngine} from an {@link EngineConfig}: the body of {@code Engines.open}.
 *
 * <ol>
 *   <li>The model directory: as configured, or for a synthetic source, materialised on first start into the
 *       cache directory with the built-in tokenizer (so the embedded default needs nothing downloaded) and
 *       reused after.</li>
 *   <li>The backend: {@code cpu}; {@code cuda}, which fails with the backend's reason when no usable device is
 *       present; or {@code auto}, which takes CUDA when it probes usable and the CPU otherwise, logging which
 *       and why. Never a silent fallback from an explicit {@code cuda}.</li>
 *   <li>The prompt path: a {@link PromptEncoder} over the model's tokenizer and chat template.</li>
 *   <li>The KV pool: the backend sizes its paged store ({@code kvCacheBytes}, or its share of free memory);
 *       the block pool manages exactly those blocks.</li>
 *   <li>The waiting queue: the configured tenant-scheduling policy over the configured tenants, its DLPM
 *       prefix matcher reading the pool.</li>
 * </ol>
 */
public final class LocalEngines {

    private static final Logger LOG = LoggerFactory.getLogger(LocalEngines.class);
    static final String BUILTIN_TOKENIZER_DIR = "fairlane-builtin-tokenizer";

    private LocalEngines() {
    }

    /**
     * @throws EngineException {@code UNAVAILABLE} with the reason when the model cannot be loaded or the
     *         requested backend is not usable
     */
    public static InferenceEngine open(EngineConfig config, SchedulerStats stats) {
        Objects.requireNonNull(config, "config");
        Objects.requireNonNull(stats, "stats");
        Path dir = modelDirectory(config);
        Model model;
        Tokenizer tokenizer;
        try {
            model = Model.open(dir);
            tokenizer = Tokenizer.load(dir.resolve("tokenizer.json"));
        } catch (ModelFormatException | IOException | UncheckedIOException | IllegalArgumentException e) {
            throw new EngineException(Kind.UNAVAILABLE, "model " + config.modelId() + " cannot be loaded from " + dir
                    + ": " + e.getMessage(), null, null, e);
        }
        ExecutionBackend backend;
        try {
            backend = openBackend(config, model);
        } catch (RuntimeException e) {
            model.close();
            throw e;
        }
        try {
            ModelConfig mc = backend.config();
            PromptEncoder prompts;
            try {
                prompts = PromptEncoder.load(dir, tokenizer);
            } catch (IOException | IllegalArgumentException e) {
                throw new EngineException(Kind.UNAVAILABLE, "model " + config.modelId() + ": its chat template cannot"
                        + " be loaded from " + dir + ": " + e.getMessage(), null, null, e);
            }
            ModelInfo info = new ModelInfo(config.modelId(), mc.family().modelType(), mc.contextLength(),
                    mc.vocabSize(), mc.hiddenSize(), prompts.hasChatTemplate(), backend.name(),
                    fingerprint(dir, backend.name(), config.kvBlockSize()), mc.eosTokenIds());
            KvCacheManager kv = new KvCacheManager(backend.kvBlocks(), config.kvBlockSize());
            long fullContextBlocks = backend.kvLayout().blocksFor(mc.contextLength());
            LOG.info("model {}: {} ({}), {} KV blocks of {} tokens ({} MiB){}", config.modelId(), backend.describe(),
                    dir, kv.totalBlocks(), config.kvBlockSize(),
                    backend.kvLayout().bytesPerBlock() * kv.totalBlocks() >> 20,
                    kv.totalBlocks() < fullContextBlocks ? "; fewer than one full-context sequence needs ("
                            + fullContextBlocks + "), so longer requests are refused" : "");
            LocalEngine.Limits limits = new LocalEngine.Limits(config.maxBatchTokens(), config.maxRunningSequences(),
                    config.tenants(), config.preemption(), config.overlap() == EngineConfig.Overlap.AUTO);
            return new LocalEngine(info, StepExecutor.of(backend), codec(tokenizer), prompts, kv,
                    matcher -> TenantSchedulers.create(config.policy(), config.tenants(), CostWeights.DEFAULT, matcher,
                            Ticker.system(), stats),
                    Ticker.system(), limits);
        } catch (RuntimeException e) {
            backend.close();
            throw e;
        }
    }

    /** The configured directory, or the synthetic model materialised (once) into the cache directory. */
    static Path modelDirectory(EngineConfig config) {
        return switch (config.source()) {
            case EngineConfig.ModelSource.Directory d -> d.path();
            case EngineConfig.ModelSource.Synthetic s -> {
                try {
                    Path tokenizerDir = s.cacheDir().resolve(BUILTIN_TOKENIZER_DIR);
                    if (!Files.isRegularFile(tokenizerDir.resolve("tokenizer.json"))) {
                        BuiltinTokenizer.writeTo(tokenizerDir);
                    }
                    Path out = s.cacheDir().resolve(SyntheticModels.directoryName(s.shape(),
                            io.fairlane.engine.model.DType.parse(s.dtype()), s.seed()));
                    boolean fresh = !Files.isDirectory(out);
                    SyntheticModels.materialize(s.shape(), s.dtype(), s.seed(), tokenizerDir, out);
                    if (fresh) {
                        LOG.info("model {}: synthesised {} ({}, seed {}) into {}", config.modelId(), s.shape(),
                                s.dtype(), s.seed(), out);
                    }
                    yield out;
                } catch (IOException | UncheckedIOException | IllegalArgumentException e) {
                    throw new EngineException(Kind.UNAVAILABLE, "model " + config.modelId()
                            + ": cannot materialise synthetic model " + s.shape() + " into " + s.cacheDir() + ": "
                            + e.getMessage(), null, null, e);
                }
            }
        };
    }

    /** The body of {@code Engines.promptTokenizer}: tokenizer and chat template only, never weights. */
    public static PromptTokenizer promptTokenizer(String modelId, EngineConfig.ModelSource source) {
        Path dir = switch (source) {
            case EngineConfig.ModelSource.Directory d -> d.path();
            case EngineConfig.ModelSource.Synthetic s -> s.cacheDir().resolve(BUILTIN_TOKENIZER_DIR);
        };
        try {
            if (source instanceof EngineConfig.ModelSource.Synthetic
                    && !Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                BuiltinTokenizer.writeTo(dir);
            }
            return PromptEncoder.load(dir, Tokenizer.load(dir.resolve("tokenizer.json")));
        } catch (IOException | RuntimeException e) {
            throw new EngineException(Kind.UNAVAILABLE, "model " + modelId + ": its tokenizer cannot be loaded from "
                    + dir + ": " + e.getMessage(), null, null, e);
        }
    }

    /** Opens the configured backend over {@code model}, which it then owns. */
    static ExecutionBackend openBackend(EngineConfig config, Model model) {
        BackendOptions options = BackendOptions.from(config);
        try {
            return switch (config.backend()) {
                case "cpu", "cuda" -> ExecutionBackendProvider.named(config.backend()).open(model, options);
                case "auto" -> {
                    ExecutionBackendProvider cuda = ExecutionBackendProvider.named("cuda");
                    ExecutionBackendProvider.Availability availability = cuda.probe();
                    if (availability.usable()) {
                        LOG.info("model {}: backend auto chose CUDA: {}", config.modelId(), availability.reason());
                        yield cuda.open(model, options);
                    }
                    LOG.info("model {}: backend auto chose the CPU because CUDA is not usable: {}", config.modelId(),
                            availability.reason());
                    yield ExecutionBackendProvider.named("cpu").open(model, options);
                }
                default -> throw new IllegalArgumentException("unknown backend " + config.backend());
            };
        } catch (BackendUnavailableException e) {
            throw new EngineException(Kind.UNAVAILABLE, "model " + config.modelId() + ": " + e.getMessage(), null, null,
                    e);
        }
    }

    /**
     * {@code system_fingerprint}: a short hash of the weights' identity (config.json and the weight files' names
     * and sizes), the backend and the block size. Changes when any of them does.
     */
    static String fingerprint(Path dir, String backend, int blockSize) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(Files.readAllBytes(dir.resolve(ModelConfig.CONFIG_FILE)));
            try (Stream<Path> files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                    sha.update((f.getFileName() + ":" + Files.size(f)).getBytes(StandardCharsets.UTF_8));
                }
            }
            sha.update((backend + ":" + blockSize).getBytes(StandardCharsets.UTF_8));
            return "fp_" + HexFormat.of().formatHex(sha.digest()).substring(0, 10);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static TextCodec codec(Tokenizer tokenizer) {
        return new TextCodec() {
            @Override
            public IncrementalDecoder newDecoder() {
                IncrementalDetokenizer d = tokenizer.detokenizer(true);
                return new IncrementalDecoder() {
                    @Override
                    public String next(int tokenId) {
                        return d.next(tokenId);
                    }

                    @Override
                    public String flush() {
                        return d.flush();
                    }
                };
            }

            @Override
            public String decode(int[] tokenIds) {
                return tokenizer.decode(tokenIds, false);
            }

            @Override
            public String tokenText(int tokenId) {
                return tokenizer.tokenText(tokenId);
            }

            @Override
            public byte[] tokenBytes(int tokenId) {
                return tokenizer.tokenBytes(tokenId);
            }

            @Override
            public boolean isSpecial(int tokenId) {
                return tokenizer.isSpecial(tokenId);
            }
        };
    }
}
