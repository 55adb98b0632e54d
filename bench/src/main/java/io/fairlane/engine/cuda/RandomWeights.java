package io.fairlane.engine.cuda;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.ModelShape;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.List;
import java.util.Optional;
import java.util.stream.IntStream;

/**
 * Random bf16 weights of a named shape, generated on demand (in parallel, from a counter-based hash, so the same
 * seed gives the same weights) for the GPU benchmarks: throughput does not depend on weight values, and
 * generating in memory spares writing and reading gigabytes of safetensors on the GPU host. Shapes match
 * bench/gpu/synth_model.py.
 */
final class RandomWeights implements WeightSource {

    /**
     * The benchmark shapes of the engine's {@link ModelShape} list, with the vocabulary of the tokenizer family each
     * is named after (Llama 3: 128,256; Qwen: 151,936; Mistral: 32,768).
     */
    static CudaModelSpec shape(String name) {
        ModelShape shape = ModelShape.named(name);
        int vocab = switch (shape.family()) {
            case LLAMA -> 128256;
            case QWEN2, QWEN3 -> 151936;
            case MISTRAL -> 32768;
        };
        return CudaModelSpec.of(shape.config(vocab, 1, List.of(2), DType.BF16));
    }

    private final CudaModelSpec spec;
    private final long seed;

    RandomWeights(CudaModelSpec spec, long seed) {
        this.spec = spec;
        this.seed = seed;
    }

    @Override
    public Optional<HostTensor> tensor(String name) {
        long[] shape = shapeOf(name);
        if (shape == null) {
            return Optional.empty();
        }
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        boolean norm = name.endsWith("norm.weight");
        float scale = norm ? 0.2f : (float) Math.sqrt(3.0 / shape[shape.length - 1]);
        MemorySegment data = Arena.ofAuto().allocate(2 * n, 64);
        long salt = io.fairlane.engine.sampling.CounterRng.mix64(seed ^ name.hashCode());
        final long total = n;
        int chunks = (int) Math.min(4096, (n + 65535) / 65536);
        IntStream.range(0, chunks).parallel().forEach(c -> {
            long from = total * c / chunks;
            long to = total * (c + 1) / chunks;
            for (long i = from; i < to; i++) {
                long h = io.fairlane.engine.sampling.CounterRng.mix64(salt + i);
                float u = ((h >>> 40) * (1.0f / 16777216.0f)) * 2 - 1;
                float v = norm ? 1.0f + scale * u : scale * u;
                data.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(v));
            }
        });
        return Optional.of(new HostTensor(HostTensor.DType.BF16, shape, data));
    }

    private long[] shapeOf(String name) {
        long h = spec.hiddenSize();
        long d = spec.headDim();
        long inter = spec.intermediateSize();
        if (name.equals("model.embed_tokens.weight")) {
            return new long[] {spec.vocabSize(), h};
        }
        if (name.equals("lm_head.weight")) {
            return spec.tiedEmbeddings() ? null : new long[] {spec.vocabSize(), h};
        }
        if (name.equals("model.norm.weight")) {
            return new long[] {h};
        }
        if (!name.startsWith("model.layers.")) {
            return null;
        }
        String leaf = name.substring(name.indexOf('.', "model.layers.".length()) + 1);
        return switch (leaf) {
            case "input_layernorm.weight", "post_attention_layernorm.weight" -> new long[] {h};
            case "self_attn.q_proj.weight" -> new long[] {spec.heads() * d, h};
            case "self_attn.k_proj.weight", "self_attn.v_proj.weight" -> new long[] {spec.kvHeads() * d, h};
            case "self_attn.q_proj.bias" -> spec.qkvBias() ? new long[] {spec.heads() * d} : null;
            case "self_attn.k_proj.bias", "self_attn.v_proj.bias" -> spec.qkvBias() ? new long[] {spec.kvHeads() * d} : null;
            case "self_attn.q_norm.weight", "self_attn.k_norm.weight" -> spec.qkNorm() ? new long[] {d} : null;
            case "self_attn.o_proj.weight" -> new long[] {h, spec.heads() * d};
            case "self_attn.o_proj.bias" -> spec.outputBias() ? new long[] {h} : null;
            case "mlp.gate_proj.weight", "mlp.up_proj.weight" -> new long[] {inter, h};
            case "mlp.down_proj.weight" -> new long[] {h, inter};
            default -> null;
        };
    }
}
