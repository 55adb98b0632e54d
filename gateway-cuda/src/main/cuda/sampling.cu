// On-device sampling: from f32 logits [R, V] to one token id per row (plus log probabilities when asked),
// so only ids and a few floats cross to the host.
//
// logits_add_sparse applies logit_bias and presence / frequency penalties, which the host folds into one
// sparse list of (row, token, delta) entries (penalties touch only tokens a sequence already produced).
//
// sample_tokens, one block per row, in transformers' order of warpers:
//   greedy (temperature 0): the largest logit, lowest id on ties;
//   otherwise z = logits / temperature, then
//     top-k: keep z >= the k-th largest z (ties at the boundary are kept, as transformers does);
//     top-p: with w = exp(z - max z) over the survivors, keep the tokens whose strictly-larger mass is below
//            top_p of the total (every token tied at the boundary is kept);
//     min-p: keep w >= min_p (relative to the most likely token, which is therefore always kept);
//   and draw by an exponential race: the token maximising z_i - log(E_i), E_i = -log(u_i), picks token i with
//   probability proportional to w_i. u_i comes from a counter-based generator keyed by (seed, counter, i),
//   so a row's draw never depends on what else shares the batch, and the CPU sampler reproduces it.
// Thresholds are found by a binary search over the order-preserving integer image of the f32 values, each
// probe a block-wide count or sum in a fixed order: the same inputs always give the same draw.
// Log probabilities are log-softmax of the logits as they are before temperature (after bias and penalties).
#include "common.cuh"

#define FL_SAMPLE_THREADS 512

// Per-row parameters, 48 bytes, filled by the host (SamplingRows.java mirrors this layout).
struct SampleParams {
    float temperature;  // 0 = greedy
    float top_p;        // 1 = off
    float min_p;        // 0 = off
    int top_k;          // 0 = off
    long long seed;
    long long counter;  // e.g. the index of the token being generated
    int num_logprobs;   // -1 none, 0 the chosen token only, n > 0 also the n most likely
    int logits_row;     // the logits row this sample reads: several samples may share one (n > 1 forks)
    long long reserved;
};

extern "C" __global__ void logits_add_sparse(float* __restrict__ logits, int vocab, const int* __restrict__ rows,
                                             const int* __restrict__ tokens, const float* __restrict__ deltas,
                                             int count) {
    int e = blockIdx.x * blockDim.x + threadIdx.x;
    if (e >= count) return;
    // Entries are unique per (row, token) on the host, so no two threads touch one element.
    logits[(long long)rows[e] * vocab + tokens[e]] += deltas[e];
}
FL_EXPORT(logits_add_sparse)

__device__ __forceinline__ unsigned long long fl_mix64(unsigned long long z) {
    z ^= z >> 30;
    z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 27;
    z *= 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z;
}

// Uniform in (0, 1) from (seed, counter, token); the Java sampler computes the same function.
__device__ __forceinline__ float fl_uniform(unsigned long long seed, unsigned long long counter, unsigned token) {
    unsigned long long h = fl_mix64(fl_mix64(seed ^ (counter * 0x9E3779B97F4A7C15ull)) + token * 0xD1B54A32D192ED03ull);
    return ((float)(h >> 40) + 0.5f) * (1.0f / 16777216.0f);
}

// Order-preserving map of a float onto unsigned ints (larger float, larger key).
__device__ __forceinline__ unsigned fl_order_key(float f) {
    unsigned u = __float_as_uint(f);
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

__device__ __forceinline__ void argmax_combine(float& v, int& i, float ov, int oi) {
    if (ov > v || (ov == v && oi < i)) {
        v = ov;
        i = oi;
    }
}

__device__ __forceinline__ void block_argmax(float& v, int& i, float* sv, int* si) {
    for (int o = 16; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(FL_FULL_MASK, v, o);
        int oi = __shfl_xor_sync(FL_FULL_MASK, i, o);
        argmax_combine(v, i, ov, oi);
    }
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = blockDim.x >> 5;
    __syncthreads();
    if (lane == 0) {
        sv[warp] = v;
        si[warp] = i;
    }
    __syncthreads();
    v = lane < warps ? sv[lane] : fl_neg_inf();
    i = lane < warps ? si[lane] : 0x7fffffff;
    for (int o = 16; o > 0; o >>= 1) {
        float ov = __shfl_xor_sync(FL_FULL_MASK, v, o);
        int oi = __shfl_xor_sync(FL_FULL_MASK, i, o);
        argmax_combine(v, i, ov, oi);
    }
}

// Largest key T with (count, or w-mass) of candidates whose key >= T at least `target`. Candidates are z >= lo.
__device__ unsigned threshold_search(const float* __restrict__ x, int vocab, float inv_t, float zmax, float lo,
                                     bool by_mass, float target, float* scratch) {
    unsigned a = 0u, b = 0xffffffffu;
    while (a < b) {
        unsigned mid = a + (unsigned)(((unsigned long long)b - a + 1ull) / 2ull);
        float acc = 0.0f;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            float z = x[i] * inv_t;
            if (z >= lo && fl_order_key(z) >= mid) acc += by_mass ? expf(z - zmax) : 1.0f;
        }
        acc = block_sum(acc, scratch);
        if (acc >= target) a = mid;
        else b = mid - 1u;
    }
    return a;
}

__device__ __forceinline__ float key_to_float(unsigned k) {
    unsigned u = (k & 0x80000000u) ? (k & 0x7fffffffu) : ~k;
    return __uint_as_float(u);
}

// grid: R blocks, one per sample (params row); block: FL_SAMPLE_THREADS.
// out_tokens [R]; out_logprob [R]; top_ids / top_logprobs [R, max_top] (first num_logprobs entries written).
// Each sample reads logits row params[r].logits_row; logit adjustments must already be in that row, so samples
// that share a row share its adjustments (the forks of one prompt have no output tokens to penalise yet).
extern "C" __global__ void __launch_bounds__(FL_SAMPLE_THREADS) sample_tokens(
    const float* __restrict__ logits, int vocab, const SampleParams* __restrict__ params,
    int* __restrict__ out_tokens, float* __restrict__ out_logprob, int* __restrict__ top_ids,
    float* __restrict__ top_logprobs, int max_top) {
    __shared__ float scratch[32];
    __shared__ float sv[32];
    __shared__ int si[32];
    const int r = blockIdx.x;
    const SampleParams p = params[r];
    const float* x = logits + (long long)p.logits_row * vocab;

    float best = fl_neg_inf();
    int best_i = 0x7fffffff;
    for (int i = threadIdx.x; i < vocab; i += blockDim.x) argmax_combine(best, best_i, x[i], i);
    block_argmax(best, best_i, sv, si);
    const float xmax = best;

    int token = best_i;
    if (p.temperature > 0.0f) {
        const float inv_t = 1.0f / p.temperature;
        const float zmax = xmax * inv_t;
        float lo = fl_neg_inf();
        if (p.top_k > 0 && p.top_k < vocab) {
            unsigned key = threshold_search(x, vocab, inv_t, zmax, lo, false, (float)p.top_k, scratch);
            lo = key_to_float(key);
        }
        if (p.top_p < 1.0f) {
            float total = 0.0f;
            for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
                float z = x[i] * inv_t;
                if (z >= lo) total += expf(z - zmax);
            }
            total = block_sum(total, scratch);
            unsigned key = threshold_search(x, vocab, inv_t, zmax, lo, true, p.top_p * total, scratch);
            lo = fmaxf(lo, key_to_float(key));
        }
        if (p.min_p > 0.0f) lo = fmaxf(lo, zmax + logf(p.min_p));
        float race = fl_neg_inf();
        int race_i = 0x7fffffff;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
            float z = x[i] * inv_t;
            if (!(z >= lo)) continue;
            float u = fl_uniform((unsigned long long)p.seed, (unsigned long long)p.counter, (unsigned)i);
            argmax_combine(race, race_i, z - logf(-logf(u)), i);
        }
        block_argmax(race, race_i, sv, si);
        token = race_i < vocab ? race_i : best_i;
    }

    if (p.num_logprobs >= 0) {
        float sum = 0.0f;
        for (int i = threadIdx.x; i < vocab; i += blockDim.x) sum += expf(x[i] - xmax);
        sum = block_sum(sum, scratch);
        const float lse = xmax + logf(sum);
        // Top alternatives: repeated arg-max, each pass excluding what the previous passes took
        // (order: larger logit first, lower id first on ties).
        float prev_v = __int_as_float(0x7f800000);  // +inf
        int prev_i = -1;
        int n = min(p.num_logprobs, max_top);
        for (int k = 0; k < n; k++) {
            float v = fl_neg_inf();
            int vi = 0x7fffffff;
            for (int i = threadIdx.x; i < vocab; i += blockDim.x) {
                float xi = x[i];
                bool after = xi < prev_v || (xi == prev_v && i > prev_i);
                if (after) argmax_combine(v, vi, xi, i);
            }
            block_argmax(v, vi, sv, si);
            if (threadIdx.x == 0) {
                top_ids[(long long)r * max_top + k] = vi;
                top_logprobs[(long long)r * max_top + k] = v - lse;
            }
            prev_v = v;
            prev_i = vi;
        }
        if (threadIdx.x == 0) out_logprob[r] = x[token] - lse;
    }
    if (threadIdx.x == 0) out_tokens[r] = token;
}
FL_EXPORT(sample_tokens)
