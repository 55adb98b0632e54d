package io.fairlane.engine.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;

/**
 * A random-weight model of a tiny shape for runner tests, with a plain reference forward pass written from the
 * Hugging Face modelling code (Llama / Qwen2 / Qwen3 / Mistral): RMSNorm, q/k/v projections (+ bias), per-head q/k
 * norm, rotary embedding, causal GQA attention (+ sliding window), SwiGLU MLP, final norm, lm_head.
 *
 * <p>The reference computes in double. With {@code bf16Activations} it rounds to bf16 wherever the CUDA kernels
 * store bf16 (normed rows, projection outputs, q after RoPE, K and V, attention output, MLP activations), which
 * leaves only accumulation order between the two and lets greedy decoding be compared token for token.
 */
final class TinyModel implements WeightSource {

    final CudaModelSpec spec;
    final Map<String, float[]> weights = new HashMap<>();
    private final Map<String, long[]> shapes = new HashMap<>();
    private final Arena arena = Arena.ofShared();

    TinyModel(CudaModelSpec spec, long seed) {
        this.spec = spec;
        Random rnd = new Random(seed);
        int h = spec.hiddenSize();
        int d = spec.headDim();
        int qRows = spec.heads() * d;
        int kvRows = spec.kvHeads() * d;
        int inter = spec.intermediateSize();
        put("model.embed_tokens.weight", rnd, 1f, spec.vocabSize(), h);
        for (int l = 0; l < spec.layers(); l++) {
            String p = "model.layers." + l + ".";
            putNorm(p + "input_layernorm.weight", rnd, h);
            put(p + "self_attn.q_proj.weight", rnd, scale(h), qRows, h);
            put(p + "self_attn.k_proj.weight", rnd, scale(h), kvRows, h);
            put(p + "self_attn.v_proj.weight", rnd, scale(h), kvRows, h);
            if (spec.qkvBias()) {
                put(p + "self_attn.q_proj.bias", rnd, 0.2f, qRows);
                put(p + "self_attn.k_proj.bias", rnd, 0.2f, kvRows);
                put(p + "self_attn.v_proj.bias", rnd, 0.2f, kvRows);
            }
            if (spec.qkNorm()) {
                putNorm(p + "self_attn.q_norm.weight", rnd, d);
                putNorm(p + "self_attn.k_norm.weight", rnd, d);
            }
            put(p + "self_attn.o_proj.weight", rnd, scale(qRows), h, qRows);
            if (spec.outputBias()) {
                put(p + "self_attn.o_proj.bias", rnd, 0.2f, h);
            }
            putNorm(p + "post_attention_layernorm.weight", rnd, h);
            put(p + "mlp.gate_proj.weight", rnd, scale(h), inter, h);
            put(p + "mlp.up_proj.weight", rnd, scale(h), inter, h);
            put(p + "mlp.down_proj.weight", rnd, scale(inter), h, inter);
        }
        putNorm("model.norm.weight", rnd, h);
        if (!spec.tiedEmbeddings()) {
            put("lm_head.weight", rnd, scale(h) * 4, spec.vocabSize(), h);
        }
    }

    /** Uniform(-a, a) with a chosen so a row dot product of unit inputs has variance about one. */
    private static float scale(int fanIn) {
        return (float) Math.sqrt(3.0 / fanIn);
    }

    private void put(String name, Random rnd, float scale, long... shape) {
        long n = 1;
        for (long s : shape) {
            n *= s;
        }
        weights.put(name, Reference.randomBf16(rnd, (int) n, scale));
        shapes.put(name, shape);
    }

    private void putNorm(String name, Random rnd, int n) {
        float[] w = new float[n];
        for (int i = 0; i < n; i++) {
            w[i] = Bf16.round(0.8f + 0.4f * rnd.nextFloat());
        }
        weights.put(name, w);
        shapes.put(name, new long[] {n});
    }

    static CudaModelSpec spec(String family, boolean bias, boolean qkNorm, boolean tied, int window,
                              boolean interleaved) {
        return spec(family, bias, false, qkNorm, tied, window, interleaved);
    }

    static CudaModelSpec spec(String family, boolean bias, boolean outputBias, boolean qkNorm, boolean tied,
                              int window, boolean interleaved) {
        return new CudaModelSpec(family, 128, 256, 2, 4, 2, 32, 300, 1e-5f, bias, outputBias, qkNorm, tied, window,
                CudaModelSpec.defaultRopeFrequencies(32, 10000.0), interleaved, 512);
    }

    @Override
    public Optional<HostTensor> tensor(String name) {
        float[] w = weights.get(name);
        if (w == null) {
            return Optional.empty();
        }
        MemorySegment seg = arena.allocate(2L * w.length, 2);
        for (int i = 0; i < w.length; i++) {
            seg.setAtIndex(ValueLayout.JAVA_SHORT, i, Bf16.fromFloat(w[i]));
        }
        return Optional.of(new HostTensor(HostTensor.DType.BF16, shapes.get(name), seg));
    }

    // -------------------------------------------------------------------------------------------------------
    // reference forward pass
    // -------------------------------------------------------------------------------------------------------

    /** A sequence's reference state: per layer, K and V of every position so far. */
    final class Sequence {
        final boolean bf16;
        final List<List<double[][]>> keys = new ArrayList<>();   // [layer] -> positions -> [Hkv][D]
        final List<List<double[][]>> values = new ArrayList<>();
        int length;

        Sequence(boolean bf16Activations) {
            this.bf16 = bf16Activations;
            for (int l = 0; l < spec.layers(); l++) {
                keys.add(new ArrayList<>());
                values.add(new ArrayList<>());
            }
        }

        /** Feeds tokens; returns the final normalised hidden state of each, and the logits of the last. */
        double[] feed(int[] tokens, List<double[]> hiddenOut) {
            double[] last = null;
            for (int token : tokens) {
                last = step(token, hiddenOut);
            }
            return last;
        }

        private double r(double v) {
            return bf16 ? Bf16.round((float) v) : v;
        }

        private double[] round(double[] v) {
            if (bf16) {
                for (int i = 0; i < v.length; i++) {
                    v[i] = Bf16.round((float) v[i]);
                }
            }
            return v;
        }

        private double[] step(int token, List<double[]> hiddenOut) {
            int h = spec.hiddenSize();
            int d = spec.headDim();
            int hq = spec.heads();
            int hkv = spec.kvHeads();
            int group = hq / hkv;
            int pos = length++;
            double[] x = new double[h];
            float[] emb = weights.get("model.embed_tokens.weight");
            for (int i = 0; i < h; i++) {
                x[i] = emb[token * h + i];
            }
            for (int l = 0; l < spec.layers(); l++) {
                String p = "model.layers." + l + ".";
                double[] n = round(norm(x, weights.get(p + "input_layernorm.weight")));
                // the device adds the bias to the bf16 projection output (inside qkv_prepare)
                double[] qv = withBias(round(linear(n, p + "self_attn.q_proj", false)), p + "self_attn.q_proj");
                double[] kv = withBias(round(linear(n, p + "self_attn.k_proj", false)), p + "self_attn.k_proj");
                double[] vv = withBias(round(linear(n, p + "self_attn.v_proj", false)), p + "self_attn.v_proj");
                double[][] qh = new double[hq][];
                double[][] kh = new double[hkv][];
                double[][] vh = new double[hkv][];
                for (int a = 0; a < hq; a++) {
                    qh[a] = headOf(qv, a, d, spec.qkNorm() ? weights.get(p + "self_attn.q_norm.weight") : null, pos);
                }
                for (int a = 0; a < hkv; a++) {
                    kh[a] = headOf(kv, a, d, spec.qkNorm() ? weights.get(p + "self_attn.k_norm.weight") : null, pos);
                    vh[a] = round(java.util.Arrays.copyOfRange(vv, a * d, (a + 1) * d));
                }
                keys.get(l).add(kh);
                values.get(l).add(vh);
                double[] att = new double[hq * d];
                for (int a = 0; a < hq; a++) {
                    int kvh = a / group;
                    double[][] ks = new double[pos + 1][];
                    double[][] vs = new double[pos + 1][];
                    for (int t = 0; t <= pos; t++) {
                        ks[t] = keys.get(l).get(t)[kvh];
                        vs[t] = values.get(l).get(t)[kvh];
                    }
                    double[] o = Reference.attend(qh[a], ks, vs, pos + 1, spec.slidingWindow(),
                            1 / Math.sqrt(d));
                    System.arraycopy(o, 0, att, a * d, d);
                }
                round(att);
                // the device adds the o_proj bias to the bf16 projection in the residual add
                double[] proj = withBias(round(linear(att, p + "self_attn.o_proj", false)), p + "self_attn.o_proj");
                for (int i = 0; i < h; i++) {
                    x[i] += proj[i];
                }
                double[] n2 = round(norm(x, weights.get(p + "post_attention_layernorm.weight")));
                double[] gate = round(linear(n2, p + "mlp.gate_proj"));
                double[] up = round(linear(n2, p + "mlp.up_proj"));
                double[] a = new double[gate.length];
                for (int i = 0; i < a.length; i++) {
                    a[i] = r(Reference.silu(gate[i]) * up[i]);
                }
                double[] down = round(linear(a, p + "mlp.down_proj"));
                for (int i = 0; i < h; i++) {
                    x[i] += down[i];
                }
            }
            double[] fin = round(norm(x, weights.get("model.norm.weight")));
            if (hiddenOut != null) {
                hiddenOut.add(fin);
            }
            String head = spec.tiedEmbeddings() ? "model.embed_tokens" : "lm_head";
            return linear(fin, head);
        }

        private double[] headOf(double[] proj, int head, int d, float[] normWeight, int pos) {
            double[] v = java.util.Arrays.copyOfRange(proj, head * d, (head + 1) * d);
            if (normWeight != null) {
                double ss = 0;
                for (double e : v) {
                    ss += e * e;
                }
                double inv = 1 / Math.sqrt(ss / d + spec.rmsNormEps());
                for (int e = 0; e < d; e++) {
                    v[e] = v[e] * inv * normWeight[e];
                }
            }
            Reference.rope(v, pos, spec.ropeInverseFrequencies(), spec.ropeInterleaved());
            return round(v);
        }
    }

    double[] norm(double[] x, float[] w) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + spec.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * w[i];
        }
        return out;
    }

    double[] linear(double[] x, String prefix) {
        return linear(x, prefix, true);
    }

    double[] withBias(double[] y, String prefix) {
        float[] b = weights.get(prefix + ".bias");
        if (b != null) {
            for (int i = 0; i < y.length; i++) {
                y[i] += b[i];
            }
        }
        return y;
    }

    /** HF Linear: y = W x (+ b), W [out, in]. */
    double[] linear(double[] x, String prefix, boolean bias) {
        float[] w = weights.get(prefix + ".weight");
        float[] b = bias ? weights.get(prefix + ".bias") : null;
        int in = x.length;
        int out = w.length / in;
        double[] y = new double[out];
        for (int o = 0; o < out; o++) {
            double acc = b == null ? 0 : b[o];
            for (int i = 0; i < in; i++) {
                acc += w[o * in + i] * x[i];
            }
            y[o] = acc;
        }
        return y;
    }

    static int argmax(double[] v) {
        int best = 0;
        for (int i = 1; i < v.length; i++) {
            if (v[i] > v[best]) {
                best = i;
            }
        }
        return best;
    }
}
