// From the fused QKV projection to attention inputs in one pass per head:
//   optional bias (Qwen2), optional per-head RMSNorm of q and k (Qwen3), rotary embedding of q and k,
//   q written out for attention, k and v written into the paged KV cache at the token's slot.
//
// Rotary embedding. The host passes the inverse frequencies (head_dim / 2 floats) already scaled for the
// model's rope_scaling (default, llama3, linear), so one kernel serves every variant. Pairing:
//   rotate-half (HF Llama / Qwen / Mistral checkpoints, "neox"): element i pairs with i + head_dim / 2;
//   interleaved (original Meta / GPT-J layout): element 2i pairs with 2i + 1.
// Pair i rotates by angle = position * inv_freq[i], computed in f32 as transformers does, with the precise
// sincosf (large positions make the fast intrinsic visibly wrong).
//
// Layouts: qkv [T, (Hq + 2 Hkv) * D] (q heads, then k heads, then v heads); q_out [T, Hq, D];
// k_cache / v_cache: one layer's pages [num_blocks, block_size, Hkv, D]; slot = block * block_size + offset,
// and a negative slot (padding row) writes nothing to the cache.
//
// grid: (T, Hq + Hkv); block: D / 2 threads (a power of two below 32, or a multiple of 32).
// Blocks y < Hq handle q head y; the others handle kv head y - Hq and copy the matching v head too.
#include "common.cuh"

extern "C" __global__ void qkv_prepare(const bf16* __restrict__ qkv, const bf16* __restrict__ bias,
                                       const bf16* __restrict__ q_norm, const bf16* __restrict__ k_norm,
                                       float norm_eps, const int* __restrict__ positions,
                                       const float* __restrict__ inv_freq, int interleaved,
                                       bf16* __restrict__ q_out, bf16* __restrict__ k_cache,
                                       bf16* __restrict__ v_cache, const int* __restrict__ slots, int hq, int hkv,
                                       int head_dim) {
    __shared__ float scratch[32];
    int t = blockIdx.x;
    int head = blockIdx.y;
    bool is_q = head < hq;
    int half = head_dim / 2;
    int i = threadIdx.x;  // pair index
    int row_width = (hq + 2 * hkv) * head_dim;
    const bf16* row = qkv + (long long)t * row_width;
    int col = head * head_dim;  // q heads then k heads: head index maps straight to the column
    int a = interleaved ? 2 * i : i;
    int b = interleaved ? 2 * i + 1 : i + half;

    float xa = to_f(row[col + a]);
    float xb = to_f(row[col + b]);
    if (bias != nullptr) {
        xa += to_f(bias[col + a]);
        xb += to_f(bias[col + b]);
    }
    const bf16* norm = is_q ? q_norm : k_norm;
    if (norm != nullptr) {
        float ss = block_sum(xa * xa + xb * xb, scratch);
        float inv = rsqrtf(ss / (float)head_dim + norm_eps);
        xa = xa * inv * to_f(norm[a]);
        xb = xb * inv * to_f(norm[b]);
    }
    float angle = (float)positions[t] * inv_freq[i];
    float s, c;
    sincosf(angle, &s, &c);
    float ra = xa * c - xb * s;
    float rb = xb * c + xa * s;

    if (is_q) {
        bf16* q = q_out + ((long long)t * hq + head) * head_dim;
        q[a] = to_bf(ra);
        q[b] = to_bf(rb);
        return;
    }
    int slot = slots[t];
    if (slot < 0) return;
    int kvh = head - hq;
    long long base = ((long long)slot * hkv + kvh) * head_dim;
    k_cache[base + a] = to_bf(ra);
    k_cache[base + b] = to_bf(rb);
    int vcol = (hq + hkv + kvh) * head_dim;
    float va = to_f(row[vcol + a]);
    float vb = to_f(row[vcol + b]);
    if (bias != nullptr) {
        va += to_f(bias[vcol + a]);
        vb += to_f(bias[vcol + b]);
    }
    v_cache[base + a] = to_bf(va);
    v_cache[base + b] = to_bf(vb);
}
FL_EXPORT(qkv_prepare)
