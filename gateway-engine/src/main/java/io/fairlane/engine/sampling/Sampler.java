package io.fairlane.engine.sampling;

import java.util.Objects;

/**
 * Chooses a token from a logits row. The algorithm is the one the CUDA backend runs on the device
 * (sampling.cu), so both backends draw the same tokens for the same logits, seed and counter:
 * <ol>
 *   <li>logit bias and penalties are added ({@link SamplingState#adjustments()});</li>
 *   <li>temperature 0 is greedy: the largest logit, the lowest id on ties;</li>
 *   <li>otherwise {@code z = logit / temperature}, then, in transformers' order of warpers: top-k keeps
 *       {@code z >= } the k-th largest z (ties at the boundary kept); top-p keeps the tokens whose strictly larger
 *       probability mass is below {@code top_p} of the total; min-p keeps tokens whose probability is at least
 *       {@code min_p} times the largest;</li>
 *   <li>the survivor maximising {@code z_i - log(-log(u_i))} wins, {@code u_i = }
 *       {@link CounterRng#uniform}(seed, counter, i): a Gumbel-max draw, which picks token i with probability
 *       proportional to {@code exp(z_i)} while each token's noise depends on nothing but its own id, so no
 *       sort order or batch composition can change the result;</li>
 *   <li>log probabilities are log-softmax of the adjusted logits before temperature.</li>
 * </ol>
 *
 * <p>A choice with a {@link TokenConstraint} is sampled on the host only (the CUDA backend returns its logits row):
 * greedy takes the best token the constraint allows; otherwise the tokens it does not allow are masked to
 * negative infinity and the same draw runs on what remains. Log probabilities stay those of
 * the unconstrained distribution (as vLLM reports them by default), so they show what the model preferred.
 *
 * <p>Stateless and thread-safe: sequences of one batch may be sampled in parallel.
 */
public final class Sampler {

    /**
     * An upper bound of the Gumbel noise {@code -log(-log(u))} over the largest float u the generator yields
     * (about 17.33), with margin: a token whose z is this far below the best key so far cannot win.
     */
    private static final float MAX_NOISE = 17.5f;

    /** The most alternatives a caller may ask for (OpenAI's {@code top_logprobs} limit). */
    public static final int MAX_TOP_LOGPROBS = 20;

    private Sampler() {
    }

    /**
     * Samples the next token of the choice {@code state} describes.
     *
     * @param logits the model's logits for the next position; adjusted in place by bias and penalties
     * @param state  the choice's parameters, seed, counter and counts (not changed)
     */
    public static SampleResult sample(float[] logits, SamplingState state) {
        Objects.requireNonNull(logits, "logits");
        Objects.requireNonNull(state, "state");
        state.adjustments().applyTo(logits);
        var p = state.params();
        if (state.constraint() != null) {
            return sampleConstrained(logits, state, state.constraint());
        }
        return sampleAdjusted(logits, (float) p.temperature(), p.topK(), (float) p.topP(), (float) p.minP(),
                state.seed(), state.counter(), state.logprobs());
    }

    /**
     * Samples from logits that already carry bias and penalties.
     *
     * @param logprobs -1 for none, 0 for the chosen token's, n for also the n most likely (at most 20)
     */
    public static SampleResult sampleAdjusted(float[] x, float temperature, int topK, float topP, float minP,
                                              long seed, long counter, int logprobs) {
        if (x.length == 0) {
            throw new IllegalArgumentException("empty logits row");
        }
        if (logprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("at most " + MAX_TOP_LOGPROBS + " top logprobs, asked " + logprobs);
        }
        int best = argmax(x);
        int token = best;
        if (temperature > 0) {
            token = draw(x, best, temperature, topK, topP, minP, seed, counter);
        }
        if (logprobs < 0) {
            return SampleResult.of(token);
        }
        return withLogprobs(x, best, token, logprobs);
    }

    private static SampleResult sampleConstrained(float[] x, SamplingState state, TokenConstraint constraint) {
        var p = state.params();
        int logprobs = state.logprobs();
        if (logprobs > MAX_TOP_LOGPROBS) {
            throw new IllegalArgumentException("at most " + MAX_TOP_LOGPROBS + " top logprobs, asked " + logprobs);
        }
        float[] raw = logprobs >= 0 ? x.clone() : null;
        int token;
        if (p.isGreedy()) {
            token = constraint.bestAllowed(x);
        } else if (constraint.mask(x) == 0) {
            token = constraint.fallback();
        } else {
            token = draw(x, argmax(x), (float) p.temperature(), p.topK(), (float) p.topP(), (float) p.minP(),
                    state.seed(), state.counter());
        }
        if (raw == null) {
            return SampleResult.of(token);
        }
        return withLogprobs(raw, argmax(raw), token, logprobs);
    }

    /** The largest logit's id, the lowest on ties. */
    public static int argmax(float[] x) {
        int best = 0;
        float v = x[0];
        for (int i = 1; i < x.length; i++) {
            if (x[i] > v) {
                v = x[i];
                best = i;
            }
        }
        return best;
    }

    private static int draw(float[] x, int best, float temperature, int topK, float topP, float minP, long seed,
                            long counter) {
        int vocab = x.length;
        float invT = 1.0f / temperature;
        float zmax = x[best] * invT;
        float lo = Float.NEGATIVE_INFINITY;
        if (topK > 0 && topK < vocab) {
            lo = kthLargest(x, invT, topK);
        }
        if (topP < 1.0f) {
            lo = Math.max(lo, topPThreshold(x, invT, zmax, lo, topP));
        }
        if (minP > 0) {
            lo = Math.max(lo, zmax + (float) Math.log(minP));
        }
        // Exponential race; start from the most likely token so that hopeless tokens are skipped early.
        int winner = best;
        float key = raceKey(zmax, seed, counter, best);
        for (int i = 0; i < vocab; i++) {
            float z = x[i] * invT;
            if (!(z >= lo) || z + MAX_NOISE < key || i == best) {
                continue;
            }
            float k = raceKey(z, seed, counter, i);
            if (k > key || (k == key && i < winner)) {
                key = k;
                winner = i;
            }
        }
        return winner;
    }

    private static float raceKey(float z, long seed, long counter, int token) {
        float u = CounterRng.uniform(seed, counter, token);
        return z - (float) Math.log(-(float) Math.log(u));
    }

    /** The k-th largest of {@code x * invT} (a min-heap of the k largest). */
    static float kthLargest(float[] x, float invT, int k) {
        float[] heap = new float[k];
        int size = 0;
        for (float xi : x) {
            float z = xi * invT;
            if (size < k) {
                heap[size] = z;
                int c = size++;
                while (c > 0) {
                    int parent = (c - 1) >>> 1;
                    if (heap[parent] <= heap[c]) {
                        break;
                    }
                    float t = heap[parent];
                    heap[parent] = heap[c];
                    heap[c] = t;
                    c = parent;
                }
            } else if (z > heap[0]) {
                heap[0] = z;
                int c = 0;
                while (true) {
                    int l = 2 * c + 1;
                    if (l >= k) {
                        break;
                    }
                    int m = l + 1 < k && heap[l + 1] < heap[l] ? l + 1 : l;
                    if (heap[c] <= heap[m]) {
                        break;
                    }
                    float t = heap[m];
                    heap[m] = heap[c];
                    heap[c] = t;
                    c = m;
                }
            }
        }
        return heap[0];
    }

    /**
     * The largest value T among candidates ({@code z >= lo}) such that the mass {@code exp(z - zmax)} of the
     * candidates with {@code z >= T} reaches {@code topP} of the candidates' total: a weighted quickselect,
     * linear in the vocabulary on average.
     */
    static float topPThreshold(float[] x, float invT, float zmax, float lo, float topP) {
        int n = 0;
        int[] idx = new int[x.length];
        float[] z = new float[x.length];
        float[] w = new float[x.length];
        double total = 0;
        for (int i = 0; i < x.length; i++) {
            float zi = x[i] * invT;
            if (zi >= lo) {
                idx[n] = i;
                z[n] = zi;
                w[n] = (float) Math.exp(zi - zmax);
                total += w[n];
                n++;
            }
        }
        double target = topP * total;
        double above = 0;
        int from = 0;
        int to = n;
        while (true) {
            float pivot = medianOfThree(z[from], z[from + (to - from) / 2], z[to - 1]);
            // Three-way partition of [from, to): [from, gt) > pivot, [gt, lt) == pivot, [lt, to) < pivot.
            int gt = from;
            int lt = to;
            int i = from;
            while (i < lt) {
                if (z[i] > pivot) {
                    swap(z, w, idx, i++, gt++);
                } else if (z[i] < pivot) {
                    swap(z, w, idx, i, --lt);
                } else {
                    i++;
                }
            }
            double massGreater = 0;
            for (int j = from; j < gt; j++) {
                massGreater += w[j];
            }
            if (above + massGreater >= target && gt > from) {
                to = gt;
                continue;
            }
            double massEqual = 0;
            for (int j = gt; j < lt; j++) {
                massEqual += w[j];
            }
            if (above + massGreater + massEqual >= target || lt == to) {
                return pivot;
            }
            above += massGreater + massEqual;
            from = lt;
        }
    }

    private static float medianOfThree(float a, float b, float c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    private static void swap(float[] z, float[] w, int[] idx, int a, int b) {
        float tz = z[a];
        z[a] = z[b];
        z[b] = tz;
        float tw = w[a];
        w[a] = w[b];
        w[b] = tw;
        int ti = idx[a];
        idx[a] = idx[b];
        idx[b] = ti;
    }

    private static SampleResult withLogprobs(float[] x, int best, int token, int top) {
        float xmax = x[best];
        double sum = 0;
        for (float xi : x) {
            sum += Math.exp(xi - xmax);
        }
        float lse = xmax + (float) Math.log(sum);
        int n = Math.min(top, x.length);
        int[] ids = new int[n];
        float[] vals = new float[n];
        int size = 0;
        for (int i = 0; i < x.length && n > 0; i++) {
            float v = x[i];
            if (size == n && !(v > vals[n - 1])) {
                continue;
            }
            // Insert keeping descending values; an equal value goes after (its id is larger).
            int pos = size < n ? size++ : n - 1;
            while (pos > 0 && v > vals[pos - 1]) {
                vals[pos] = vals[pos - 1];
                ids[pos] = ids[pos - 1];
                pos--;
            }
            vals[pos] = v;
            ids[pos] = i;
        }
        float[] lps = new float[n];
        for (int i = 0; i < n; i++) {
            lps[i] = vals[i] - lse;
        }
        return new SampleResult(token, x[token] - lse, ids, lps);
    }
}
