// Row-wise kernels of the forward pass: embedding gather, RMSNorm with the residual add fused in, SwiGLU,
// mean pooling for embeddings, and the KV block copy used when a sequence forks (n > 1).
#include "common.cuh"

// out[t, :] = table[token(t), :] as f32, the start of the residual stream.
// token(t) = tokens[t] when >= 0; a negative entry -(i + 1) takes prev_sampled[i], the id the previous step
// sampled on the device, so a decode step can be launched before the host has read that id.
// grid: T blocks; block: any multiple of 32.
extern "C" __global__ void embed_tokens(const int* __restrict__ tokens, const int* __restrict__ prev_sampled,
                                        const bf16* __restrict__ table, float* __restrict__ out, int hidden,
                                        int vocab) {
    int t = blockIdx.x;
    int token = tokens[t];
    if (token < 0 && prev_sampled != nullptr) token = prev_sampled[-token - 1];
    float* o = out + (long long)t * hidden;
    if (token < 0 || token >= vocab) {
        // The host validates ids; a bad one here is a bug, so make it loud rather than plausible.
        for (int i = threadIdx.x; i < hidden; i += blockDim.x) o[i] = fl_nan();
        return;
    }
    const bf16* row = table + (long long)token * hidden;
    if ((hidden & 7) == 0) {
        for (int i = threadIdx.x * 8; i < hidden; i += blockDim.x * 8) {
            float v[8];
            load8(row + i, v);
#pragma unroll
            for (int j = 0; j < 8; j++) o[i + j] = v[j];
        }
    } else {
        for (int i = threadIdx.x; i < hidden; i += blockDim.x) o[i] = to_f(row[i]);
    }
}
FL_EXPORT(embed_tokens)

// RMSNorm of residual rows, with an optional residual add first:
//   x = residual[src] + delta[src] + delta_bias   (delta and delta_bias may be null; delta_bias is the bias of the
//                                                  projection that produced delta, e.g. Llama's o_proj with
//                                                  attention_bias, added here instead of in the GEMM)
//   out[r] = bf16(x * rsqrt(mean(x^2) + eps) * weight)
// src = rows[r] when rows is given (final norm of only the rows that need logits), else r.
// write_residual = 1 stores x back into residual[src] (the layer's new residual stream).
// grid: R blocks; block: a multiple of 32 (256 or 512 suit model widths).
extern "C" __global__ void rmsnorm_residual(float* __restrict__ residual, const bf16* __restrict__ delta,
                                            const bf16* __restrict__ delta_bias, const bf16* __restrict__ weight,
                                            bf16* __restrict__ out, const int* __restrict__ rows, int hidden,
                                            float eps, int write_residual) {
    __shared__ float scratch[32];
    int r = blockIdx.x;
    long long src = rows != nullptr ? rows[r] : r;
    float* x = residual + src * hidden;
    const bf16* d = delta != nullptr ? delta + src * hidden : nullptr;
    bf16* o = out + (long long)r * hidden;
    float ss = 0.0f;
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        float v = x[i];
        if (d != nullptr) {
            v += to_f(d[i]) + (delta_bias != nullptr ? to_f(delta_bias[i]) : 0.0f);
            if (write_residual) x[i] = v;
        }
        ss += v * v;
    }
    ss = block_sum(ss, scratch);
    float inv = rsqrtf(ss / (float)hidden + eps);
    // Each thread reads back only the elements it wrote itself: no barrier needed.
    for (int i = threadIdx.x; i < hidden; i += blockDim.x) {
        float v = x[i];
        if (d != nullptr && !write_residual) v += to_f(d[i]) + (delta_bias != nullptr ? to_f(delta_bias[i]) : 0.0f);
        o[i] = to_bf(v * inv * to_f(weight[i]));
    }
}
FL_EXPORT(rmsnorm_residual)

// SwiGLU: out[t, i] = silu(gate_up[t, i]) * gate_up[t, inter + i], with gate and up side by side in one row
// (the fused gate_up projection). grid-stride over T * inter elements.
extern "C" __global__ void silu_mul(const bf16* __restrict__ gate_up, bf16* __restrict__ out, int tokens,
                                    int inter) {
    long long total = (long long)tokens * inter;
    long long stride = (long long)gridDim.x * blockDim.x;
    if ((inter & 7) == 0) {
        for (long long e = ((long long)blockIdx.x * blockDim.x + threadIdx.x) * 8; e < total; e += stride * 8) {
            long long t = e / inter, i = e % inter;
            float g[8], u[8], r[8];
            load8(gate_up + t * 2 * inter + i, g);
            load8(gate_up + t * 2 * inter + inter + i, u);
#pragma unroll
            for (int j = 0; j < 8; j++) r[j] = g[j] / (1.0f + expf(-g[j])) * u[j];
            store8(out + e, r);
        }
    } else {
        for (long long e = (long long)blockIdx.x * blockDim.x + threadIdx.x; e < total; e += stride) {
            long long t = e / inter, i = e % inter;
            float g = to_f(gate_up[t * 2 * inter + i]);
            float u = to_f(gate_up[t * 2 * inter + inter + i]);
            out[e] = to_bf(g / (1.0f + expf(-g)) * u);
        }
    }
}
FL_EXPORT(silu_mul)

// Mean of the normalised final hidden rows of each sequence: out[s, :] = mean over rows
// [ranges[2s], ranges[2s + 1]) of hidden. grid: (S, ceil(H / blockDim.x)).
extern "C" __global__ void mean_pool(const bf16* __restrict__ hidden_rows, const int* __restrict__ ranges,
                                     float* __restrict__ out, int hidden) {
    int s = blockIdx.x;
    int i = blockIdx.y * blockDim.x + threadIdx.x;
    if (i >= hidden) return;
    int begin = ranges[2 * s], end = ranges[2 * s + 1];
    float acc = 0.0f;
    for (int t = begin; t < end; t++) acc += to_f(hidden_rows[(long long)t * hidden + i]);
    out[(long long)s * hidden + i] = end > begin ? acc / (float)(end - begin) : 0.0f;
}
FL_EXPORT(mean_pool)

// Copies whole KV blocks (all layers, K and V) for copy-on-write forks:
// for each pair p, block pairs[2p + 1] := block pairs[2p].
// The pool is one allocation laid out as [layers][2][num_blocks][block_elems] bf16.
// grid: (pairs, layers * 2); block: 256.
extern "C" __global__ void copy_kv_blocks(bf16* __restrict__ pool, const int* __restrict__ pairs, int num_blocks,
                                          long long block_elems) {
    int p = blockIdx.x;
    long long plane = (long long)blockIdx.y * num_blocks;
    const bf16* src = pool + (plane + pairs[2 * p]) * block_elems;
    bf16* dst = pool + (plane + pairs[2 * p + 1]) * block_elems;
    if ((block_elems & 7) == 0) {
        const uint4* s4 = reinterpret_cast<const uint4*>(src);
        uint4* d4 = reinterpret_cast<uint4*>(dst);
        for (long long i = threadIdx.x; i < block_elems / 8; i += blockDim.x) d4[i] = s4[i];
    } else {
        for (long long i = threadIdx.x; i < block_elems; i += blockDim.x) dst[i] = src[i];
    }
}
FL_EXPORT(copy_kv_blocks)
