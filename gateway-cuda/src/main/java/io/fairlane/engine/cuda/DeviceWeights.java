package io.fairlane.engine.cuda;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The model's weights on the device, all bf16, in one allocation. Projections that read the same input are
 * fused on upload so each takes one GEMM: q, k and v rows stacked into one [(Hq + 2 Hkv) D, H] matrix (and their
 * biases into one vector), gate and up rows into one [2 I, H] matrix (silu_mul expects gate first).
 *
 * <p>Tensors arrive bf16, f16 or f32 and are converted to bf16 on the host while staged through a pinned
 * buffer. Every tensor's shape is checked against the spec before anything is copied.
 */
final class DeviceWeights implements AutoCloseable {

    private static final long STAGING_BYTES = 16L << 20;
    private static final long ALIGN = 256;

    /** Device addresses of one layer's tensors; 0 where the family has none. */
    record Layer(long inputNorm, long qkv, long qkvBias, long qNorm, long kNorm, long outProj, long outProjBias,
                 long postNorm, long gateUp, long down) {
    }

    private final DeviceRuntime device;
    private final long base;
    private final long bytes;
    private final long embedding;
    private final List<Layer> layers;
    private final long finalNorm;
    private final long lmHead;
    private boolean closed;

    private DeviceWeights(DeviceRuntime device, long base, long bytes, long embedding, List<Layer> layers,
                          long finalNorm, long lmHead) {
        this.device = device;
        this.base = base;
        this.bytes = bytes;
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.finalNorm = finalNorm;
        this.lmHead = lmHead;
    }

    /** Bytes the weights of {@code spec} take on the device. */
    static long deviceBytes(CudaModelSpec spec) {
        Layout layout = new Layout(spec);
        return layout.total;
    }

    long embedding() {
        return embedding;
    }

    Layer layer(int i) {
        return layers.get(i);
    }

    long finalNorm() {
        return finalNorm;
    }

    long lmHead() {
        return lmHead;
    }

    long bytes() {
        return bytes;
    }

    /** Offsets of every tensor inside the one allocation. */
    private static final class Layout {
        long total;
        final long embedding;
        final long[][] layer;  // [layer][10]
        final long finalNorm;
        final long lmHead;

        Layout(CudaModelSpec s) {
            long h = s.hiddenSize();
            embedding = take((long) s.vocabSize() * h);
            layer = new long[s.layers()][];
            for (int i = 0; i < s.layers(); i++) {
                layer[i] = new long[] {
                    take(h),
                    take((long) s.qkvWidth() * h),
                    s.qkvBias() ? take(s.qkvWidth()) : -1,
                    s.qkNorm() ? take(s.headDim()) : -1,
                    s.qkNorm() ? take(s.headDim()) : -1,
                    take(h * s.attentionWidth()),
                    take(h),
                    take(2L * s.intermediateSize() * h),
                    take(h * s.intermediateSize()),
                    s.outputBias() ? take(h) : -1,
                };
            }
            finalNorm = take(h);
            lmHead = s.tiedEmbeddings() ? -1 : take((long) s.vocabSize() * h);
        }

        private long take(long elements) {
            long offset = total;
            total += (elements * 2 + ALIGN - 1) / ALIGN * ALIGN;
            return offset;
        }
    }

    /**
     * Checks every tensor, allocates, converts and copies. On failure nothing stays allocated.
     *
     * @throws IllegalArgumentException naming the tensor that is missing or misshapen
     */
    static DeviceWeights upload(DeviceRuntime device, CudaModelSpec spec, WeightSource source) {
        List<Piece> pieces = plan(spec, source);
        Layout layout = new Layout(spec);
        long base = device.allocate(layout.total, "model weights");
        try {
            MemorySegment staging = device.allocateHost(STAGING_BYTES);
            for (Piece p : pieces) {
                copy(device, staging, p.tensor, base + p.offset);
            }
            device.synchronize();
            List<Layer> layers = new ArrayList<>();
            for (long[] l : layout.layer) {
                layers.add(new Layer(base + l[0], base + l[1], l[2] < 0 ? 0 : base + l[2], l[3] < 0 ? 0 : base + l[3],
                        l[4] < 0 ? 0 : base + l[4], base + l[5], l[9] < 0 ? 0 : base + l[9], base + l[6],
                        base + l[7], base + l[8]));
            }
            return new DeviceWeights(device, base, layout.total, base + layout.embedding, layers,
                    base + layout.finalNorm, spec.tiedEmbeddings() ? base + layout.embedding : base + layout.lmHead);
        } catch (RuntimeException e) {
            device.free(base);
            throw e;
        }
    }

    /** A tensor and the byte offset (from the allocation's start) it goes to. */
    private record Piece(HostTensor tensor, long offset) {
    }

    private static List<Piece> plan(CudaModelSpec s, WeightSource source) {
        Layout layout = new Layout(s);
        long h = s.hiddenSize();
        long d = s.headDim();
        List<Piece> pieces = new ArrayList<>();
        pieces.add(new Piece(require(source, "model.embed_tokens.weight", s.vocabSize(), h), layout.embedding));
        for (int i = 0; i < s.layers(); i++) {
            String p = "model.layers." + i + ".";
            long[] o = layout.layer[i];
            pieces.add(new Piece(require(source, p + "input_layernorm.weight", h), o[0]));
            long qRows = s.heads() * d;
            long kvRows = s.kvHeads() * d;
            pieces.add(new Piece(require(source, p + "self_attn.q_proj.weight", qRows, h), o[1]));
            pieces.add(new Piece(require(source, p + "self_attn.k_proj.weight", kvRows, h), o[1] + 2 * qRows * h));
            pieces.add(new Piece(require(source, p + "self_attn.v_proj.weight", kvRows, h),
                    o[1] + 2 * (qRows + kvRows) * h));
            if (s.qkvBias()) {
                pieces.add(new Piece(require(source, p + "self_attn.q_proj.bias", qRows), o[2]));
                pieces.add(new Piece(require(source, p + "self_attn.k_proj.bias", kvRows), o[2] + 2 * qRows));
                pieces.add(new Piece(require(source, p + "self_attn.v_proj.bias", kvRows), o[2] + 2 * (qRows + kvRows)));
            }
            if (s.qkNorm()) {
                pieces.add(new Piece(require(source, p + "self_attn.q_norm.weight", d), o[3]));
                pieces.add(new Piece(require(source, p + "self_attn.k_norm.weight", d), o[4]));
            }
            pieces.add(new Piece(require(source, p + "self_attn.o_proj.weight", h, qRows), o[5]));
            if (s.outputBias()) {
                pieces.add(new Piece(require(source, p + "self_attn.o_proj.bias", h), o[9]));
            }
            pieces.add(new Piece(require(source, p + "post_attention_layernorm.weight", h), o[6]));
            long inter = s.intermediateSize();
            pieces.add(new Piece(require(source, p + "mlp.gate_proj.weight", inter, h), o[7]));
            pieces.add(new Piece(require(source, p + "mlp.up_proj.weight", inter, h), o[7] + 2 * inter * h));
            pieces.add(new Piece(require(source, p + "mlp.down_proj.weight", h, inter), o[8]));
        }
        pieces.add(new Piece(require(source, "model.norm.weight", h), layout.finalNorm));
        if (!s.tiedEmbeddings()) {
            pieces.add(new Piece(require(source, "lm_head.weight", s.vocabSize(), h), layout.lmHead));
        }
        return pieces;
    }

    private static HostTensor require(WeightSource source, String name, long... shape) {
        HostTensor t = source.tensor(name).orElseThrow(() ->
                new IllegalArgumentException("the checkpoint has no tensor " + name));
        if (!Arrays.equals(t.shape(), shape)) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + Arrays.toString(t.shape())
                    + ", the config implies " + Arrays.toString(shape));
        }
        return t;
    }

    /** Converts to bf16 chunk by chunk through the staging buffer. */
    private static void copy(DeviceRuntime device, MemorySegment staging, HostTensor t, long dst) {
        long elements = t.elements();
        long chunk = STAGING_BYTES / 2;
        for (long start = 0; start < elements; start += chunk) {
            long n = Math.min(chunk, elements - start);
            switch (t.dtype()) {
                case BF16 -> MemorySegment.copy(t.data(), start * 2, staging, 0, n * 2);
                case F32 -> {
                    for (long i = 0; i < n; i++) {
                        float f = t.data().getAtIndex(ValueLayout.JAVA_FLOAT_UNALIGNED, start + i);
                        staging.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(f));
                    }
                }
                case F16 -> {
                    for (long i = 0; i < n; i++) {
                        short h = t.data().getAtIndex(ValueLayout.JAVA_SHORT_UNALIGNED, start + i);
                        staging.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(Float.float16ToFloat(h)));
                    }
                }
            }
            device.copyToDevice(dst + start * 2, staging, n * 2);
            device.synchronize();  // the staging buffer is reused by the next chunk
        }
    }

    @Override
    public void close() {
        if (!closed) {
            closed = true;
            device.free(base);
        }
    }

    @Override
    public String toString() {
        return "DeviceWeights[" + layers.size() + " layers, " + bytes + " bytes]";
    }
}
