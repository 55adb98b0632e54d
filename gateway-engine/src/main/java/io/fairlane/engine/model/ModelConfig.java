package io.fairlane.engine.model;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * The architecture of a model as its {@code config.json} describes it, reduced to what the forward pass needs,
 * plus the end-of-sequence ids of {@code generation_config.json}.
 *
 * @param family             the architecture family
 * @param hiddenSize         model width
 * @param intermediateSize   MLP width
 * @param layers             decoder layers
 * @param heads              query heads
 * @param kvHeads            key/value heads (grouped-query attention when fewer than {@code heads})
 * @param headDim            width of one head; Qwen3 sets it independently of {@code hiddenSize / heads}
 * @param vocabSize          rows of the embedding and output matrices
 * @param contextLength      {@code max_position_embeddings}
 * @param rmsNormEps         RMSNorm epsilon (also for Qwen3's q/k norms)
 * @param ropeTheta          rotary base
 * @param ropeScaling        how the rotary frequencies are stretched
 * @param tiedEmbeddings     the output projection is the embedding matrix
 * @param qkvBias            the q, k and v projections have biases (Qwen2; Llama's {@code attention_bias})
 * @param outputBias         the attention output projection has a bias (Llama's {@code attention_bias})
 * @param qkNorm             per-head RMSNorm of q and k before RoPE (Qwen3)
 * @param slidingWindow      attention span in tokens including the current one, 0 for unlimited (Mistral)
 * @param bosTokenId         beginning-of-sequence id, -1 when none
 * @param eosTokenIds        ids that end a generation: generation_config.json's, else config.json's
 * @param torchDtype         the checkpoint's declared dtype, null when config.json does not say
 */
public record ModelConfig(
        ModelFamily family,
        int hiddenSize,
        int intermediateSize,
        int layers,
        int heads,
        int kvHeads,
        int headDim,
        int vocabSize,
        int contextLength,
        double rmsNormEps,
        double ropeTheta,
        RopeScaling ropeScaling,
        boolean tiedEmbeddings,
        boolean qkvBias,
        boolean outputBias,
        boolean qkNorm,
        int slidingWindow,
        int bosTokenId,
        List<Integer> eosTokenIds,
        DType torchDtype) {

    public static final String CONFIG_FILE = "config.json";
    public static final String GENERATION_CONFIG_FILE = "generation_config.json";

    private static final ObjectMapper JSON = new ObjectMapper();

    public ModelConfig {
        Objects.requireNonNull(family, "family");
        Objects.requireNonNull(ropeScaling, "ropeScaling");
        eosTokenIds = List.copyOf(eosTokenIds);
        if (hiddenSize <= 0 || intermediateSize <= 0 || layers <= 0 || heads <= 0 || kvHeads <= 0 || headDim <= 0
                || vocabSize <= 0 || contextLength <= 0) {
            throw new IllegalArgumentException("model dimensions must be positive: hidden=" + hiddenSize
                    + " intermediate=" + intermediateSize + " layers=" + layers + " heads=" + heads + " kv_heads="
                    + kvHeads + " head_dim=" + headDim + " vocab=" + vocabSize + " context=" + contextLength);
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads " + heads
                    + " is not a multiple of num_key_value_heads " + kvHeads);
        }
        if (headDim % 2 != 0) {
            throw new IllegalArgumentException("head_dim must be even for rotary embeddings, was " + headDim);
        }
        if (!(rmsNormEps > 0) || !(ropeTheta > 0) || slidingWindow < 0) {
            throw new IllegalArgumentException("invalid rms_norm_eps " + rmsNormEps + ", rope_theta " + ropeTheta
                    + " or sliding_window " + slidingWindow);
        }
    }

    /** Query heads that share one KV head. */
    public int groupSize() {
        return heads / kvHeads;
    }

    /** Width of all query heads together. */
    public int qDim() {
        return heads * headDim;
    }

    /** Width of all KV heads together (one of K or V). */
    public int kvDim() {
        return kvHeads * headDim;
    }

    /**
     * The rotary inverse frequencies {@code 1 / theta^(2i / headDim)}, i in [0, headDim / 2), with the model's
     * scaling applied, in double precision.
     */
    public double[] ropeInverseFrequencies() {
        double[] f = new double[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = 1.0 / Math.pow(ropeTheta, (2.0 * i) / headDim);
        }
        ropeScaling.apply(f);
        return f;
    }

    /** Parameters, counting a tied output matrix once. */
    public long parameterCount() {
        long h = hiddenSize;
        long perLayer = h * qDim() + 2 * h * kvDim() + (long) qDim() * h + 3 * h * intermediateSize + 2 * h;
        if (qkvBias) {
            perLayer += qDim() + 2L * kvDim();
        }
        if (outputBias) {
            perLayer += h;
        }
        if (qkNorm) {
            perLayer += 2L * headDim;
        }
        long embed = (long) vocabSize * h;
        return layers * perLayer + embed + (tiedEmbeddings ? 0 : embed) + h;
    }

    /** Reads {@code config.json} and, when present, {@code generation_config.json} of a model directory. */
    public static ModelConfig load(Path directory) {
        Path config = directory.resolve(CONFIG_FILE);
        if (!Files.isRegularFile(config)) {
            throw new ModelFormatException(directory + ": no " + CONFIG_FILE);
        }
        JsonNode root = readJson(config);
        Path generation = directory.resolve(GENERATION_CONFIG_FILE);
        JsonNode gen = Files.isRegularFile(generation) ? readJson(generation) : null;
        return parse(config, root, gen);
    }

    private static JsonNode readJson(Path file) {
        try {
            JsonNode n = JSON.readTree(file.toFile());
            if (n == null || !n.isObject()) {
                throw new ModelFormatException(file + ": not a JSON object");
            }
            return n;
        } catch (IOException e) {
            throw new ModelFormatException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    /**
     * Interprets a parsed config.json ({@code file} is only for messages) and an optional generation config.
     *
     * @throws ModelFormatException naming the file and key for anything missing, invalid or unsupported
     */
    public static ModelConfig parse(Path file, JsonNode root, JsonNode generationConfig) {
        Reader r = new Reader(file, root);
        if (root.hasNonNull("quantization_config")) {
            throw r.unsupported("quantization_config", "quantized checkpoints are not supported; use bf16, f16 or"
                    + " f32 weights");
        }
        ModelFamily family = family(r, root);
        String act = r.text("hidden_act", "silu");
        if (!act.equals("silu")) {
            throw r.unsupported("hidden_act", "activation '" + act + "' is not supported (only silu / SwiGLU)");
        }
        if (r.bool("mlp_bias", false)) {
            throw r.unsupported("mlp_bias", "MLP biases are not supported");
        }
        int hidden = r.requiredInt("hidden_size");
        int heads = r.requiredInt("num_attention_heads");
        int kvHeads = r.integer("num_key_value_heads", heads);
        int headDim;
        if (root.hasNonNull("head_dim")) {
            headDim = r.requiredInt("head_dim");
        } else {
            if (hidden % heads != 0) {
                throw r.invalid("hidden_size", "hidden_size " + hidden + " is not a multiple of num_attention_heads "
                        + heads + " and no head_dim is given");
            }
            headDim = hidden / heads;
        }
        int intermediate = r.requiredInt("intermediate_size");
        int layers = r.requiredInt("num_hidden_layers");
        int vocab = r.requiredInt("vocab_size");
        int context = r.integer("max_position_embeddings", 2048);
        double eps = r.number("rms_norm_eps", 1e-6);
        JsonNode ropeParams = root.get("rope_parameters");
        double theta;
        RopeScaling scaling;
        if (ropeParams != null && ropeParams.isObject()) {
            Reader rp = new Reader(file, ropeParams);
            theta = rp.number("rope_theta", r.number("rope_theta", 10000));
            scaling = ropeScaling(rp, ropeParams, "rope_parameters");
        } else {
            theta = r.number("rope_theta", 10000);
            JsonNode rs = root.get("rope_scaling");
            scaling = rs == null || rs.isNull() ? new RopeScaling.None()
                    : ropeScaling(new Reader(file, rs), rs, "rope_scaling");
        }
        boolean tied = r.bool("tie_word_embeddings", false);
        boolean attentionBias = r.bool("attention_bias", false);
        boolean qkvBias;
        boolean outputBias;
        boolean qkNorm = false;
        int window = 0;
        switch (family) {
            case LLAMA -> {
                qkvBias = attentionBias;
                outputBias = attentionBias;
            }
            case QWEN2 -> {
                qkvBias = true;
                outputBias = false;
                window = qwenWindow(r);
            }
            case QWEN3 -> {
                qkvBias = attentionBias;
                outputBias = attentionBias;
                qkNorm = true;
                window = qwenWindow(r);
            }
            case MISTRAL -> {
                qkvBias = false;
                outputBias = false;
                if (root.hasNonNull("sliding_window")) {
                    int w = r.requiredInt("sliding_window");
                    window = w >= context ? 0 : w;
                }
            }
            default -> throw new AssertionError(family);
        }
        int bos = root.hasNonNull("bos_token_id") && root.get("bos_token_id").isIntegralNumber()
                ? root.get("bos_token_id").asInt() : -1;
        List<Integer> eos = eosIds(generationConfig);
        if (eos.isEmpty()) {
            eos = eosIds(root);
        }
        DType dtype = null;
        String dt = root.hasNonNull("torch_dtype") ? root.get("torch_dtype").asText()
                : root.hasNonNull("dtype") ? root.get("dtype").asText() : null;
        if (dt != null) {
            try {
                dtype = DType.parse(dt);
            } catch (IllegalArgumentException unknown) {
                dtype = null;
            }
        }
        try {
            return new ModelConfig(family, hidden, intermediate, layers, heads, kvHeads, headDim, vocab, context, eps,
                    theta, scaling, tied, qkvBias, outputBias, qkNorm, window, bos, eos, dtype);
        } catch (IllegalArgumentException e) {
            throw new ModelFormatException(file + ": " + e.getMessage(), e);
        }
    }

    private static ModelFamily family(Reader r, JsonNode root) {
        JsonNode archs = root.get("architectures");
        if (archs != null && archs.isArray() && !archs.isEmpty()) {
            String arch = archs.get(0).asText();
            return ModelFamily.byArchitecture(arch).orElseThrow(() -> r.unsupported("architectures",
                    "architecture " + arch + " is not supported (supported: LlamaForCausalLM, Qwen2ForCausalLM,"
                            + " Qwen3ForCausalLM, MistralForCausalLM)"));
        }
        String type = r.text("model_type", null);
        if (type == null) {
            throw r.invalid("architectures", "neither architectures nor model_type is given");
        }
        return ModelFamily.byModelType(type).orElseThrow(() -> r.unsupported("model_type", "model type " + type
                + " is not supported (supported: llama, qwen2, qwen3, mistral)"));
    }

    private static int qwenWindow(Reader r) {
        if (r.bool("use_sliding_window", false)) {
            throw r.unsupported("use_sliding_window", "Qwen's sliding window on a subset of layers"
                    + " (max_window_layers) is not supported");
        }
        return 0;
    }

    private static RopeScaling ropeScaling(Reader r, JsonNode node, String key) {
        if (!node.isObject()) {
            throw r.invalid(key, key + " must be an object");
        }
        String type = node.hasNonNull("rope_type") ? node.get("rope_type").asText()
                : node.hasNonNull("type") ? node.get("type").asText() : "default";
        return switch (type) {
            case "default" -> new RopeScaling.None();
            case "linear" -> new RopeScaling.Linear(r.requiredNumber("factor"));
            case "llama3" -> {
                try {
                    yield new RopeScaling.Llama3(r.requiredNumber("factor"), r.requiredNumber("low_freq_factor"),
                            r.requiredNumber("high_freq_factor"), r.requiredInt("original_max_position_embeddings"));
                } catch (IllegalArgumentException e) {
                    throw r.invalid(key, e.getMessage());
                }
            }
            default -> throw r.unsupported(key, "rope scaling type '" + type
                    + "' is not supported (supported: default, linear, llama3)");
        };
    }

    private static List<Integer> eosIds(JsonNode root) {
        if (root == null) {
            return List.of();
        }
        JsonNode n = root.get("eos_token_id");
        Set<Integer> ids = new LinkedHashSet<>();
        if (n != null && n.isIntegralNumber()) {
            ids.add(n.asInt());
        } else if (n != null && n.isArray()) {
            for (JsonNode e : n) {
                if (e.isIntegralNumber()) {
                    ids.add(e.asInt());
                }
            }
        }
        return new ArrayList<>(ids);
    }

    /** Typed access to config keys with messages that name the file and key. */
    private record Reader(Path file, JsonNode node) {

        ModelFormatException invalid(String key, String why) {
            return new ModelFormatException(file + ": " + key + ": " + why);
        }

        ModelFormatException unsupported(String key, String why) {
            return new ModelFormatException(file + ": unsupported model (" + key + "): " + why);
        }

        int requiredInt(String key) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                throw invalid(key, "missing");
            }
            if (!v.isIntegralNumber() || !v.canConvertToInt() || v.asInt() <= 0) {
                throw invalid(key, "must be a positive integer, was " + v);
            }
            return v.asInt();
        }

        int integer(String key, int fallback) {
            JsonNode v = node.get(key);
            return v == null || v.isNull() ? fallback : requiredInt(key);
        }

        double requiredNumber(String key) {
            JsonNode v = node.get(key);
            if (v == null || !v.isNumber()) {
                throw invalid(key, "must be a number, was " + v);
            }
            return v.asDouble();
        }

        double number(String key, double fallback) {
            JsonNode v = node.get(key);
            return v == null || v.isNull() ? fallback : requiredNumber(key);
        }

        boolean bool(String key, boolean fallback) {
            JsonNode v = node.get(key);
            if (v == null || v.isNull()) {
                return fallback;
            }
            if (!v.isBoolean()) {
                throw invalid(key, "must be true or false, was " + v);
            }
            return v.asBoolean();
        }

        String text(String key, String fallback) {
            JsonNode v = node.get(key);
            return v == null || v.isNull() ? fallback : v.asText();
        }
    }
}
