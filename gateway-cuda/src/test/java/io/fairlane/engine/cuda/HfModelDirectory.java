package io.fairlane.engine.cuda;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face model directory read just far enough for the GPU tools (check-against-transformers, benchmarks):
 * config.json mapped to a {@link CudaModelSpec}, and *.safetensors memory-mapped as a {@link WeightSource}.
 *
 * <p>A stand-in for the engine's model loader (issue 4), which owns validation and every format detail; once that
 * loader is on main, the CUDA backend takes its spec and weights from there and these tools can follow.
 */
final class HfModelDirectory implements WeightSource, AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Arena arena = Arena.ofShared();
    private final Map<String, HostTensor> tensors = new HashMap<>();
    private final CudaModelSpec spec;

    HfModelDirectory(Path dir) {
        try {
            JsonNode config = JSON.readTree(dir.resolve("config.json").toFile());
            spec = specOf(config);
            try (var files = Files.list(dir)) {
                for (Path f : files.filter(p -> p.toString().endsWith(".safetensors")).sorted().toList()) {
                    map(f);
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException("reading model directory " + dir, e);
        }
    }

    CudaModelSpec spec() {
        return spec;
    }

    @Override
    public Optional<HostTensor> tensor(String name) {
        return Optional.ofNullable(tensors.get(name));
    }

    private void map(Path file) throws IOException {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            MemorySegment all = ch.map(FileChannel.MapMode.READ_ONLY, 0, ch.size(), arena);
            long headerLen = all.get(ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN), 0);
            byte[] header = all.asSlice(8, headerLen).toArray(ValueLayout.JAVA_BYTE);
            JsonNode h = JSON.readTree(new String(header, StandardCharsets.UTF_8));
            long base = 8 + headerLen;
            for (Iterator<Map.Entry<String, JsonNode>> it = h.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (e.getKey().equals("__metadata__")) {
                    continue;
                }
                JsonNode t = e.getValue();
                HostTensor.DType dtype = switch (t.get("dtype").asText()) {
                    case "BF16" -> HostTensor.DType.BF16;
                    case "F16" -> HostTensor.DType.F16;
                    case "F32" -> HostTensor.DType.F32;
                    default -> throw new IllegalArgumentException(file + ": tensor " + e.getKey() + " has dtype "
                            + t.get("dtype").asText());
                };
                long[] shape = new long[t.get("shape").size()];
                for (int i = 0; i < shape.length; i++) {
                    shape[i] = t.get("shape").get(i).asLong();
                }
                long start = t.get("data_offsets").get(0).asLong();
                long end = t.get("data_offsets").get(1).asLong();
                tensors.put(e.getKey(), new HostTensor(dtype, shape, all.asSlice(base + start, end - start)));
            }
        }
    }

    /** config.json (legacy rope_theta / rope_scaling keys or transformers 5's rope_parameters) to a spec. */
    static CudaModelSpec specOf(JsonNode c) {
        String type = c.path("model_type").asText("llama");
        int hidden = c.get("hidden_size").asInt();
        int heads = c.get("num_attention_heads").asInt();
        int kvHeads = c.path("num_key_value_heads").asInt(heads);
        int headDim = c.hasNonNull("head_dim") ? c.get("head_dim").asInt() : hidden / heads;
        JsonNode rope = c.hasNonNull("rope_parameters") ? c.get("rope_parameters") : c.path("rope_scaling");
        double theta = c.hasNonNull("rope_theta") ? c.get("rope_theta").asDouble()
                : rope.path("rope_theta").asDouble(10000.0);
        String ropeType = rope.path("rope_type").asText(rope.path("type").asText("default"));
        float[] freqs = ropeFrequencies(headDim, theta, ropeType, rope);
        int window = 0;
        if (c.hasNonNull("sliding_window") && (!type.equals("qwen2") && !type.equals("qwen3")
                || c.path("use_sliding_window").asBoolean(false))) {
            window = c.get("sliding_window").asInt();
        }
        boolean attentionBias = c.path("attention_bias").asBoolean(false);
        boolean bias = type.equals("qwen2") || attentionBias;
        return new CudaModelSpec(type, hidden, c.get("intermediate_size").asInt(), c.get("num_hidden_layers").asInt(),
                heads, kvHeads, headDim, c.get("vocab_size").asInt(), (float) c.path("rms_norm_eps").asDouble(1e-6),
                bias, attentionBias && !type.equals("qwen2"), type.equals("qwen3"), c.path("tie_word_embeddings").asBoolean(false), window, freqs, false,
                c.path("max_position_embeddings").asInt(4096));
    }

    /** HF's default, linear and llama3 rope scalings, computed in f32 like transformers. */
    static float[] ropeFrequencies(int headDim, double theta, String type, JsonNode p) {
        float[] f = new float[headDim / 2];
        for (int i = 0; i < f.length; i++) {
            f[i] = (float) (1.0 / Math.pow(theta, (float) (2 * i) / headDim));
        }
        switch (type) {
            case "default" -> {
            }
            case "linear" -> {
                float factor = (float) p.get("factor").asDouble();
                for (int i = 0; i < f.length; i++) {
                    f[i] /= factor;
                }
            }
            case "llama3" -> {
                double factor = p.get("factor").asDouble();
                double low = p.get("low_freq_factor").asDouble();
                double high = p.get("high_freq_factor").asDouble();
                double old = p.get("original_max_position_embeddings").asDouble();
                double lowWavelen = old / low;
                double highWavelen = old / high;
                for (int i = 0; i < f.length; i++) {
                    double wavelen = 2 * Math.PI / f[i];
                    double scaled = wavelen > lowWavelen ? f[i] / factor : f[i];
                    if (!(wavelen < highWavelen) && !(wavelen > lowWavelen)) {
                        double smooth = (old / wavelen - low) / (high - low);
                        scaled = (1 - smooth) * scaled / factor + smooth * scaled;
                    }
                    f[i] = (float) scaled;
                }
            }
            default -> throw new IllegalArgumentException("rope type " + type + " is not supported");
        }
        return f;
    }

    @Override
    public void close() {
        arena.close();
    }
}
