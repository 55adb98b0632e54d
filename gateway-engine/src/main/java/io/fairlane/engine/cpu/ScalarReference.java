package io.fairlane.engine.cpu;

import io.fairlane.engine.model.LayerWeights;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.ModelWeights;
import io.fairlane.engine.model.Tensor;
import java.util.Objects;

/**
 * The test oracle: the same decoder written as plainly as possible, one token at a time, in double precision,
 * with a contiguous (unpaged) KV cache and every weight widened element by element. It shares no code with the
 * Vector API path beyond the model loader, so agreement between the two means the fast path's tiling, paging,
 * batching and threading change nothing but rounding.
 *
 * <p>It follows transformers' modelling code for Llama, Qwen2, Qwen3 and Mistral: RMSNorm {@code x / sqrt(mean(x²)
 * + eps) * w}; q/k/v projections with optional bias; Qwen3's per-head RMSNorm of q and k before RoPE; RoPE pairing
 * element i with i + d/2 ({@code rotate_half}); softmax attention scaled by {@code 1/sqrt(d)} over the causal
 * (or sliding) window, with KV heads shared by groups of query heads; SwiGLU {@code down(silu(gate(x)) * up(x))}.
 *
 * <p>Slow by design; for tiny models in tests (and as the oracle the CUDA backend's tests may also use).
 */
public final class ScalarReference {

    private final ModelConfig c;
    private final ModelWeights w;
    private final double[] invFreq;

    public ScalarReference(ModelConfig config, ModelWeights weights) {
        this.c = Objects.requireNonNull(config, "config");
        this.w = Objects.requireNonNull(weights, "weights");
        this.invFreq = config.ropeInverseFrequencies();
    }

    /** Logits {@code [tokens.length][vocab]}: row p predicts the token after position p. */
    public double[][] logits(int[] tokens) {
        double[][] hidden = forward(tokens);
        double[][] out = new double[tokens.length][];
        for (int p = 0; p < tokens.length; p++) {
            out[p] = matVec(w.output(), rmsNorm(hidden[p], w.finalNorm()));
        }
        return out;
    }

    /** The mean over positions of the final-normed hidden state {@code [hidden]}. */
    public double[] hiddenMean(int[] tokens) {
        double[][] hidden = forward(tokens);
        double[] mean = new double[c.hiddenSize()];
        for (double[] h : hidden) {
            double[] n = rmsNorm(h, w.finalNorm());
            for (int i = 0; i < mean.length; i++) {
                mean[i] += n[i] / tokens.length;
            }
        }
        return mean;
    }

    /** The residual stream after the last layer, {@code [tokens.length][hidden]}. */
    private double[][] forward(int[] tokens) {
        int n = tokens.length;
        int layers = c.layers();
        int d = c.headDim();
        // Contiguous caches: [layer][position][kvHeads * headDim].
        double[][][] keys = new double[layers][n][];
        double[][][] values = new double[layers][n][];
        double[][] out = new double[n][];
        for (int p = 0; p < n; p++) {
            double[] h = new double[c.hiddenSize()];
            for (int i = 0; i < h.length; i++) {
                h[i] = w.embedding().getFloat((long) tokens[p] * c.hiddenSize() + i);
            }
            for (int l = 0; l < layers; l++) {
                LayerWeights lw = w.layers().get(l);
                double[] xn = rmsNorm(h, lw.inputNorm());
                double[] q = addBias(matVec(lw.q(), xn), lw.qBias());
                double[] k = addBias(matVec(lw.k(), xn), lw.kBias());
                double[] v = addBias(matVec(lw.v(), xn), lw.vBias());
                for (int head = 0; head < c.heads(); head++) {
                    if (lw.qNorm() != null) {
                        headNorm(q, head * d, lw.qNorm());
                    }
                    rope(q, head * d, p);
                }
                for (int head = 0; head < c.kvHeads(); head++) {
                    if (lw.kNorm() != null) {
                        headNorm(k, head * d, lw.kNorm());
                    }
                    rope(k, head * d, p);
                }
                keys[l][p] = k;
                values[l][p] = v;
                double[] att = new double[c.qDim()];
                int start = c.slidingWindow() > 0 ? Math.max(0, p - c.slidingWindow() + 1) : 0;
                for (int head = 0; head < c.heads(); head++) {
                    int kvh = head / c.groupSize();
                    double[] s = new double[p - start + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int j = start; j <= p; j++) {
                        double dot = 0;
                        for (int i = 0; i < d; i++) {
                            dot += q[head * d + i] * keys[l][j][kvh * d + i];
                        }
                        s[j - start] = dot / Math.sqrt(d);
                        max = Math.max(max, s[j - start]);
                    }
                    double sum = 0;
                    for (int j = 0; j < s.length; j++) {
                        s[j] = Math.exp(s[j] - max);
                        sum += s[j];
                    }
                    for (int j = start; j <= p; j++) {
                        double pj = s[j - start] / sum;
                        for (int i = 0; i < d; i++) {
                            att[head * d + i] += pj * values[l][j][kvh * d + i];
                        }
                    }
                }
                double[] o = addBias(matVec(lw.o(), att), lw.oBias());
                for (int i = 0; i < h.length; i++) {
                    h[i] += o[i];
                }
                double[] xm = rmsNorm(h, lw.postAttentionNorm());
                double[] g = matVec(lw.gate(), xm);
                double[] u = matVec(lw.up(), xm);
                for (int i = 0; i < g.length; i++) {
                    g[i] = g[i] / (1 + Math.exp(-g[i])) * u[i];
                }
                double[] down = matVec(lw.down(), g);
                for (int i = 0; i < h.length; i++) {
                    h[i] += down[i];
                }
            }
            out[p] = h;
        }
        return out;
    }

    private double[] rmsNorm(double[] x, Tensor weight) {
        double ss = 0;
        for (double v : x) {
            ss += v * v;
        }
        double inv = 1 / Math.sqrt(ss / x.length + c.rmsNormEps());
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * weight.getFloat(i);
        }
        return out;
    }

    private void headNorm(double[] x, int off, Tensor weight) {
        int d = c.headDim();
        double ss = 0;
        for (int i = 0; i < d; i++) {
            ss += x[off + i] * x[off + i];
        }
        double inv = 1 / Math.sqrt(ss / d + c.rmsNormEps());
        for (int i = 0; i < d; i++) {
            x[off + i] = x[off + i] * inv * weight.getFloat(i);
        }
    }

    private void rope(double[] x, int off, int position) {
        int half = c.headDim() / 2;
        for (int i = 0; i < half; i++) {
            double angle = position * invFreq[i];
            double cos = Math.cos(angle);
            double sin = Math.sin(angle);
            double a = x[off + i];
            double b = x[off + i + half];
            x[off + i] = a * cos - b * sin;
            x[off + i + half] = b * cos + a * sin;
        }
    }

    private static double[] matVec(Tensor m, double[] x) {
        int rows = (int) m.dim(0);
        int cols = (int) m.dim(1);
        double[] out = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            long base = (long) r * cols;
            for (int k = 0; k < cols; k++) {
                s += m.getFloat(base + k) * x[k];
            }
            out[r] = s;
        }
        return out;
    }

    private static double[] addBias(double[] x, Tensor bias) {
        if (bias != null) {
            for (int i = 0; i < x.length; i++) {
                x[i] += bias.getFloat(i);
            }
        }
        return x;
    }
}
