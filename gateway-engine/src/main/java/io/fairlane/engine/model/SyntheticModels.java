package io.fairlane.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;

/**
 * Writes complete random-weight model directories of a {@link ModelShape}: {@code config.json},
 * {@code generation_config.json}, safetensors weights (sharded with an index past a size cap) and the tokenizer
 * files of a given tokenizer directory, whose vocabulary sets the model's.
 *
 * <p>Weights are a pure function of (seed, tensor name, element index) through a SplitMix64 hash, so the same
 * arguments give byte-identical files however many threads write them. Values are uniform with the standard
 * deviation of a conventional initialisation, chosen so activations stay in a sane range at any depth:
 * <ul>
 *   <li>q, k, v, gate, up: std {@code 1/sqrt(in)}, so each projection of a normalised input has unit scale;</li>
 *   <li>o and down (writing into the residual stream): additionally divided by {@code sqrt(2 * layers)}, as
 *       GPT-2 scales residual projections, so the stream grows slowly with depth;</li>
 *   <li>embedding and output: std {@code 1/sqrt(hidden)}, giving logits of about unit scale;</li>
 *   <li>biases: std 0.02; norms: 1 within ±5 % (not exactly 1, so a missed norm multiply shows in tests).</li>
 * </ul>
 *
 * <p>A directory is written under a temporary name beside the target and moved into place at the end, with a
 * marker file recording what it holds: an interrupted run leaves no half-written model, and asking again for the
 * same model reuses it.
 */
public final class SyntheticModels {

    /** Marker written into every synthetic model directory: shape, dtype, seed, vocabulary. */
    public static final String MARKER_FILE = "fairlane-synthetic.json";

    /** Shards are cut at 2 GiB, so the 1B-parameter shapes already exercise sharded loading. */
    public static final long DEFAULT_MAX_SHARD_BYTES = 2L << 30;

    /** Tokenizer files copied when present. */
    static final List<String> TOKENIZER_FILES = List.of("tokenizer.json", "tokenizer_config.json",
            "special_tokens_map.json", "tokenizer.model", "vocab.json", "merges.txt", "chat_template.jinja",
            "chat_template.json");

    /** End-of-turn tokens that chat checkpoints list among their EOS ids; added when the tokenizer has them. */
    static final List<String> END_OF_TURN_TOKENS = List.of("<|eot_id|>", "<|eom_id|>", "<|end_of_text|>",
            "<|im_end|>", "<|endoftext|>", "</s>", "<end_of_turn>", "<|end|>");

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private SyntheticModels() {
    }

    /**
     * How to write.
     *
     * @param maxShardBytes largest safetensors file before the weights are split into shards
     * @param threads       writer threads
     */
    public record Options(long maxShardBytes, int threads) {
        public Options {
            if (maxShardBytes <= 0 || threads <= 0) {
                throw new IllegalArgumentException("maxShardBytes and threads must be positive");
            }
        }

        public static Options defaults() {
            return new Options(DEFAULT_MAX_SHARD_BYTES, Runtime.getRuntime().availableProcessors());
        }
    }

    /** A conventional directory name for a synthetic model: {@code <shape>-<dtype>-s<seed>}. */
    public static String directoryName(String shape, DType dtype, long seed) {
        return shape + "-" + dtype.cliName() + "-s" + seed;
    }

    /**
     * Writes the synthetic model {@code shape} into {@code outDir}, or returns at once when {@code outDir}
     * already holds exactly that model.
     *
     * @param shape        a {@link ModelShape} name
     * @param dtype        {@code bf16} or {@code f32} (also {@code f16})
     * @param seed         weight seed
     * @param tokenizerDir a directory with at least {@code tokenizer.json}
     * @param outDir       the model directory to create
     * @return {@code outDir}
     * @throws IllegalArgumentException for an unknown shape or dtype, a tokenizer directory without
     *         tokenizer.json, or an {@code outDir} that holds something else
     * @throws UncheckedIOException when writing fails
     */
    public static Path materialize(String shape, String dtype, long seed, Path tokenizerDir, Path outDir) {
        return materialize(ModelShape.named(shape), DType.parse(dtype), seed, tokenizerDir, outDir,
                Options.defaults());
    }

    /** As {@link #materialize(String, String, long, Path, Path)} with explicit options. */
    public static Path materialize(ModelShape shape, DType dtype, long seed, Path tokenizerDir, Path outDir,
                                   Options options) {
        Objects.requireNonNull(shape, "shape");
        Objects.requireNonNull(dtype, "dtype");
        Objects.requireNonNull(tokenizerDir, "tokenizerDir");
        Objects.requireNonNull(outDir, "outDir");
        Objects.requireNonNull(options, "options");
        Path tokenizerJson = tokenizerDir.resolve("tokenizer.json");
        if (!Files.isRegularFile(tokenizerJson)) {
            throw new IllegalArgumentException(tokenizerDir + ": no tokenizer.json (--tokenizer must name a"
                    + " directory with a Hugging Face tokenizer.json)");
        }
        TokenizerFacts tok = TokenizerFacts.read(tokenizerDir);
        ObjectNode marker = JSON.createObjectNode()
                .put("shape", shape.name()).put("dtype", dtype.cliName()).put("seed", seed)
                .put("vocab_size", tok.vocabSize()).put("format", 1);
        Path target = outDir.toAbsolutePath().normalize();
        if (Files.exists(target)) {
            if (sameModel(target, marker)) {
                return outDir;
            }
            if (!isEmptyDirectory(target)) {
                throw new IllegalArgumentException(target + " already exists and does not hold this synthetic model"
                        + " (" + shape.name() + ", " + dtype.cliName() + ", seed " + seed + "); choose another"
                        + " directory or remove it");
            }
        }
        try {
            Path parent = target.getParent();
            Files.createDirectories(parent);
            Path tmp = Files.createTempDirectory(parent, "." + target.getFileName() + ".tmp-");
            try {
                writeModel(shape, dtype, seed, tokenizerDir, tok, tmp, marker, options);
                moveIntoPlace(tmp, target);
            } finally {
                deleteRecursively(tmp);
            }
            if (!sameModel(target, marker)) {
                throw new IllegalStateException(target + " was replaced by something else while it was written");
            }
            return outDir;
        } catch (IOException e) {
            throw new UncheckedIOException("writing synthetic model " + shape.name() + " to " + target + " failed: "
                    + e.getMessage(), e);
        }
    }

    private static void moveIntoPlace(Path tmp, Path target) throws IOException {
        try {
            if (Files.isDirectory(target) && isEmptyDirectory(target)) {
                Files.delete(target);
            }
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (FileAlreadyExistsException | DirectoryNotEmptyException raced) {
            // Another process materialised the same directory first; the caller re-checks the marker.
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
    }

    private static boolean sameModel(Path dir, ObjectNode marker) {
        Path m = dir.resolve(MARKER_FILE);
        if (!Files.isRegularFile(m)) {
            return false;
        }
        try {
            // Compared as text: a long written as 7 reads back as an int node, which JsonNode.equals tells apart.
            return JSON.readTree(m.toFile()).toString().equals(marker.toString());
        } catch (IOException e) {
            return false;
        }
    }

    private static boolean isEmptyDirectory(Path dir) {
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> s = Files.list(dir)) {
            return s.findAny().isEmpty();
        } catch (IOException e) {
            return false;
        }
    }

    private static void writeModel(ModelShape shape, DType dtype, long seed, Path tokenizerDir, TokenizerFacts tok,
                                   Path dir, ObjectNode marker, Options options) throws IOException {
        ModelConfig config = shape.config(tok.vocabSize(), tok.bosId(), tok.eosIds(), dtype);
        for (String name : TOKENIZER_FILES) {
            Path src = tokenizerDir.resolve(name);
            if (Files.isRegularFile(src)) {
                Files.copy(src, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        writeJson(dir.resolve(ModelConfig.CONFIG_FILE), configJson(shape, config));
        writeJson(dir.resolve(ModelConfig.GENERATION_CONFIG_FILE), generationConfigJson(config));
        List<SafetensorsWriter.Spec> specs = tensorSpecs(config, dtype, seed);
        List<List<SafetensorsWriter.Spec>> shards = shard(specs, options.maxShardBytes());
        ExecutorService pool = Executors.newFixedThreadPool(options.threads(), r -> {
            Thread t = new Thread(r, "synthetic-model-writer");
            t.setDaemon(true);
            return t;
        });
        try {
            if (shards.size() == 1) {
                SafetensorsWriter.write(dir.resolve(Weights.SINGLE_FILE), specs, pool);
            } else {
                Map<String, String> weightMap = new TreeMap<>();
                long total = 0;
                for (int i = 0; i < shards.size(); i++) {
                    String file = String.format("model-%05d-of-%05d.safetensors", i + 1, shards.size());
                    SafetensorsWriter.write(dir.resolve(file), shards.get(i), pool);
                    for (SafetensorsWriter.Spec s : shards.get(i)) {
                        weightMap.put(s.name(), file);
                        total += s.bytes();
                    }
                }
                ObjectNode index = JSON.createObjectNode();
                index.putObject("metadata").put("total_size", total);
                ObjectNode map = index.putObject("weight_map");
                weightMap.forEach(map::put);
                writeJson(dir.resolve(Weights.INDEX_FILE), index);
            }
        } finally {
            pool.shutdownNow();
        }
        writeJson(dir.resolve(MARKER_FILE), marker);
    }

    private static List<List<SafetensorsWriter.Spec>> shard(List<SafetensorsWriter.Spec> specs, long maxBytes) {
        List<List<SafetensorsWriter.Spec>> shards = new ArrayList<>();
        List<SafetensorsWriter.Spec> current = new ArrayList<>();
        long bytes = 0;
        for (SafetensorsWriter.Spec s : specs) {
            if (!current.isEmpty() && bytes + s.bytes() > maxBytes) {
                shards.add(current);
                current = new ArrayList<>();
                bytes = 0;
            }
            current.add(s);
            bytes += s.bytes();
        }
        shards.add(current);
        return shards;
    }

    /** Every tensor of the model in Hugging Face order, with its value function. */
    static List<SafetensorsWriter.Spec> tensorSpecs(ModelConfig c, DType dtype, long seed) {
        List<SafetensorsWriter.Spec> out = new ArrayList<>();
        long h = c.hiddenSize();
        long qd = c.qDim();
        long kvd = c.kvDim();
        long inter = c.intermediateSize();
        long vocab = c.vocabSize();
        double inStd = 1 / Math.sqrt(h);
        double residual = 1 / Math.sqrt(2.0 * c.layers());
        out.add(spec("model.embed_tokens.weight", dtype, seed, uniform(inStd), vocab, h));
        for (int i = 0; i < c.layers(); i++) {
            String p = "model.layers." + i + ".";
            out.add(spec(p + "input_layernorm.weight", dtype, seed, norm(), h));
            out.add(spec(p + "self_attn.q_proj.weight", dtype, seed, uniform(inStd), qd, h));
            out.add(spec(p + "self_attn.k_proj.weight", dtype, seed, uniform(inStd), kvd, h));
            out.add(spec(p + "self_attn.v_proj.weight", dtype, seed, uniform(inStd), kvd, h));
            if (c.qkvBias()) {
                out.add(spec(p + "self_attn.q_proj.bias", dtype, seed, uniform(0.02), qd));
                out.add(spec(p + "self_attn.k_proj.bias", dtype, seed, uniform(0.02), kvd));
                out.add(spec(p + "self_attn.v_proj.bias", dtype, seed, uniform(0.02), kvd));
            }
            if (c.qkNorm()) {
                out.add(spec(p + "self_attn.q_norm.weight", dtype, seed, norm(), c.headDim()));
                out.add(spec(p + "self_attn.k_norm.weight", dtype, seed, norm(), c.headDim()));
            }
            out.add(spec(p + "self_attn.o_proj.weight", dtype, seed, uniform(residual / Math.sqrt(qd)), h, qd));
            if (c.outputBias()) {
                out.add(spec(p + "self_attn.o_proj.bias", dtype, seed, uniform(0.02), h));
            }
            out.add(spec(p + "post_attention_layernorm.weight", dtype, seed, norm(), h));
            out.add(spec(p + "mlp.gate_proj.weight", dtype, seed, uniform(inStd), inter, h));
            out.add(spec(p + "mlp.up_proj.weight", dtype, seed, uniform(inStd), inter, h));
            out.add(spec(p + "mlp.down_proj.weight", dtype, seed, uniform(residual / Math.sqrt(inter)), h, inter));
        }
        out.add(spec("model.norm.weight", dtype, seed, norm(), h));
        if (!c.tiedEmbeddings()) {
            out.add(spec("lm_head.weight", dtype, seed, uniform(inStd), vocab, h));
        }
        return out;
    }

    /** Maps a uniform draw u in [0, 1) to a value. */
    @FunctionalInterface
    private interface Distribution {
        float value(double u);
    }

    private static Distribution uniform(double std) {
        double a = std * Math.sqrt(3);
        return u -> (float) ((2 * u - 1) * a);
    }

    private static Distribution norm() {
        return u -> (float) (1 + 0.05 * (2 * u - 1));
    }

    private static SafetensorsWriter.Spec spec(String name, DType dtype, long seed, Distribution d, long... shape) {
        long key = mix64(seed ^ mix64(name.hashCode() * 0x9E3779B97F4A7C15L + name.length()));
        return new SafetensorsWriter.Spec(name, dtype, shape, (start, out, count) -> {
            for (int i = 0; i < count; i++) {
                long bits = mix64(key + (start + i) * 0x9E3779B97F4A7C15L);
                out[i] = d.value((bits >>> 11) * 0x1.0p-53);
            }
        });
    }

    /** SplitMix64's finaliser (Steele, Lea and Flood, "Fast splittable pseudorandom number generators", 2014). */
    static long mix64(long z) {
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    private static ObjectNode configJson(ModelShape shape, ModelConfig c) {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("architectures").add(c.family().architecture());
        n.put("model_type", c.family().modelType());
        n.put("hidden_size", c.hiddenSize());
        n.put("intermediate_size", c.intermediateSize());
        n.put("num_hidden_layers", c.layers());
        n.put("num_attention_heads", c.heads());
        n.put("num_key_value_heads", c.kvHeads());
        n.put("head_dim", c.headDim());
        n.put("vocab_size", c.vocabSize());
        n.put("max_position_embeddings", c.contextLength());
        n.put("rms_norm_eps", c.rmsNormEps());
        n.put("rope_theta", c.ropeTheta());
        switch (c.ropeScaling()) {
            case RopeScaling.None none -> n.putNull("rope_scaling");
            case RopeScaling.Linear l -> n.putObject("rope_scaling").put("rope_type", "linear").put("factor", l.factor());
            case RopeScaling.Llama3 l -> n.putObject("rope_scaling").put("rope_type", "llama3")
                    .put("factor", l.factor()).put("low_freq_factor", l.lowFreqFactor())
                    .put("high_freq_factor", l.highFreqFactor())
                    .put("original_max_position_embeddings", l.originalContext());
        }
        n.put("hidden_act", "silu");
        n.put("tie_word_embeddings", c.tiedEmbeddings());
        if (c.family() == ModelFamily.LLAMA || c.family() == ModelFamily.QWEN3) {
            n.put("attention_bias", false);
            n.put("mlp_bias", false);
        }
        if (c.family() == ModelFamily.MISTRAL) {
            if (c.slidingWindow() > 0) {
                n.put("sliding_window", c.slidingWindow());
            } else {
                n.putNull("sliding_window");
            }
        }
        if (c.family() == ModelFamily.QWEN2 || c.family() == ModelFamily.QWEN3) {
            n.put("use_sliding_window", false);
        }
        if (c.bosTokenId() >= 0) {
            n.put("bos_token_id", c.bosTokenId());
        }
        putEos(n, c.eosTokenIds());
        n.put("torch_dtype", c.torchDtype().torchName());
        n.put("fairlane_synthetic_shape", shape.name());
        return n;
    }

    private static ObjectNode generationConfigJson(ModelConfig c) {
        ObjectNode n = JSON.createObjectNode();
        if (c.bosTokenId() >= 0) {
            n.put("bos_token_id", c.bosTokenId());
        }
        putEos(n, c.eosTokenIds());
        return n;
    }

    private static void putEos(ObjectNode n, List<Integer> eos) {
        if (eos.size() == 1) {
            n.put("eos_token_id", eos.getFirst());
        } else if (!eos.isEmpty()) {
            ArrayNode a = n.putArray("eos_token_id");
            eos.forEach(a::add);
        }
    }

    private static void writeJson(Path file, JsonNode node) throws IOException {
        Files.writeString(file, JSON.writeValueAsString(node) + "\n", StandardCharsets.UTF_8);
    }

    private static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * What a synthetic model takes from its tokenizer: the vocabulary size (largest id + 1 over the model's
     * vocabulary and the added tokens), and the BOS and EOS ids named by tokenizer_config.json, plus the
     * end-of-turn tokens chat checkpoints list as EOS.
     */
    record TokenizerFacts(int vocabSize, int bosId, List<Integer> eosIds) {

        static TokenizerFacts read(Path tokenizerDir) {
            Path file = tokenizerDir.resolve("tokenizer.json");
            JsonNode root;
            try {
                root = JSON.readTree(file.toFile());
            } catch (IOException e) {
                throw new IllegalArgumentException(file + ": not valid JSON: " + e.getMessage(), e);
            }
            Map<String, Integer> ids = new TreeMap<>();
            int maxId = -1;
            JsonNode model = root.path("model");
            JsonNode vocab = model.path("vocab");
            if (vocab.isObject()) {
                for (Map.Entry<String, JsonNode> e : vocab.properties()) {
                    int id = e.getValue().asInt(-1);
                    ids.put(e.getKey(), id);
                    maxId = Math.max(maxId, id);
                }
            } else if (vocab.isArray()) {
                // Unigram: a list of [piece, score]; the id is the position.
                for (int i = 0; i < vocab.size(); i++) {
                    ids.put(vocab.get(i).path(0).asText(), i);
                }
                maxId = vocab.size() - 1;
            }
            for (JsonNode t : root.path("added_tokens")) {
                int id = t.path("id").asInt(-1);
                ids.put(t.path("content").asText(), id);
                maxId = Math.max(maxId, id);
            }
            if (maxId < 0) {
                throw new IllegalArgumentException(file + ": no vocabulary found (model.vocab and added_tokens are"
                        + " empty)");
            }
            JsonNode tc = JSON.createObjectNode();
            Path tcFile = tokenizerDir.resolve("tokenizer_config.json");
            if (Files.isRegularFile(tcFile)) {
                try {
                    tc = JSON.readTree(tcFile.toFile());
                } catch (IOException e) {
                    throw new IllegalArgumentException(tcFile + ": not valid JSON: " + e.getMessage(), e);
                }
            }
            int bos = ids.getOrDefault(tokenText(tc.get("bos_token")), -1);
            Set<Integer> eos = new LinkedHashSet<>();
            Integer named = ids.get(tokenText(tc.get("eos_token")));
            if (named != null) {
                eos.add(named);
            }
            for (String t : END_OF_TURN_TOKENS) {
                Integer id = ids.get(t);
                if (id != null) {
                    eos.add(id);
                }
            }
            return new TokenizerFacts(maxId + 1, bos, List.copyOf(eos));
        }

        private static String tokenText(JsonNode n) {
            if (n == null || n.isNull()) {
                return "";
            }
            return n.isObject() ? n.path("content").asText("") : n.asText("");
        }
    }
}
