// Paged attention for decode (one query token per sequence), split over the context (flash-decoding).
//
// Pass 1, paged_decode_d{D}: block (s, kv head h, split z) reads context tokens [z * PART, (z + 1) * PART) of
// sequence s once from the KV pages and serves every query head of h's GQA group with them (up to 8 per
// block; larger groups take several blocks along y). It writes, per query head, the partition's normalised
// output with its softmax max m and sum l. Splits past the context exit at once, so a launch sized for the
// longest context (as a captured CUDA graph must be) costs little for short ones.
// Pass 2, decode_reduce: combines the partitions: out = sum_z o_z * l_z * exp(m_z - M) / sum_z l_z * exp(m_z - M).
//
// Thread mapping of pass 1 (128 threads): for q.k, D / 8 lanes hold one token's key (8 elements each, one
// 16-byte load) and reduce with shuffles, so a warp covers 256 / D tokens per step; scores go to shared
// memory. For p.v, each thread owns two adjacent output elements and walks a stride of the tokens; the
// strides are summed through shared memory at the end.
//
// Layouts: q [T, Hq, D] (row seq_rows[s]); pages [num_blocks, block_size, Hkv, D];
// block_tables [S, bt_stride]; out [T, Hq, D]. Partials are packed: sequence s owns split slots
// [split_offsets[s], split_offsets[s] + ceil(context / PART)), so their memory follows the total context in
// the batch, not batch size times the longest context: part_out [slots, Hq, D] f32, part_ml [slots, Hq, 2] f32.
// A sequence with context 0 (padding in a captured batch) produces zeros.
#include "common.cuh"

#define FL_DECODE_THREADS 128
#define FL_DECODE_PART 512
#define FL_DECODE_MAX_GROUP 8

template <int D>
__device__ __forceinline__ void paged_decode(const bf16* __restrict__ q, const bf16* __restrict__ k_cache,
                                             const bf16* __restrict__ v_cache, const int* __restrict__ seq_rows,
                                             const int* __restrict__ context_lens,
                                             const int* __restrict__ block_tables, int bt_stride,
                                             int block_size, int hq, int hkv, float scale, int window,
                                             const int* __restrict__ split_offsets,
                                             float* __restrict__ part_out, float* __restrict__ part_ml) {
    constexpr int LPT = D / 8;               // lanes per token in q.k
    constexpr int TPW = 32 / LPT;            // tokens per warp step
    constexpr int TPI = TPW * (FL_DECODE_THREADS / 32);
    constexpr int PAIRS = D / 2;
    constexpr int STREAMS = FL_DECODE_THREADS / PAIRS;  // token strides in p.v
    static_assert(D % 16 == 0 && D >= 16 && D <= 256, "head_dim");

    __shared__ float scratch[32];
    FL_DYNAMIC_SMEM(float, smem);
    float* scores = smem;                                      // [MAX_GROUP][PART]
    float* partial = smem + FL_DECODE_MAX_GROUP * FL_DECODE_PART;  // [STREAMS][MAX_GROUP][D]

    const int s = blockIdx.x;
    const int group = hq / hkv;
    const int chunks = (group + FL_DECODE_MAX_GROUP - 1) / FL_DECODE_MAX_GROUP;
    const int h = blockIdx.y / chunks;
    const int g0 = (blockIdx.y % chunks) * FL_DECODE_MAX_GROUP;
    const int ng = min(FL_DECODE_MAX_GROUP, group - g0);
    const int split = blockIdx.z;
    const int ctx = context_lens[s];
    const int start = split * FL_DECODE_PART;
    if (start >= ctx) return;  // beyond this sequence's context: decode_reduce never reads it
    const int end = min(ctx, start + FL_DECODE_PART);
    const int n = end - start;
    const int lo = window > 0 ? max(0, ctx - window) : 0;  // first visible position
    const int row = seq_rows[s];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int sub = lane / LPT, slice = lane % LPT;
    const int* table = block_tables + (long long)s * bt_stride;

    float qv[FL_DECODE_MAX_GROUP][8];
#pragma unroll
    for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) {
        if (g < ng) {
            load8(q + ((long long)row * hq + h * group + g0 + g) * D + slice * 8, qv[g]);
#pragma unroll
            for (int e = 0; e < 8; e++) qv[g][e] *= scale;
        } else {
#pragma unroll
            for (int e = 0; e < 8; e++) qv[g][e] = 0.0f;
        }
    }

    // q.k for every token of the partition
    for (int base = start; base < end; base += TPI) {
        int t = base + warp * TPW + sub;
        bool in_range = t < end;
        float k[8];
        if (in_range) {
            int page = table[t / block_size];
            long long off = (((long long)page * block_size + t % block_size) * hkv + h) * D + slice * 8;
            load8(k_cache + off, k);
        } else {
#pragma unroll
            for (int e = 0; e < 8; e++) k[e] = 0.0f;
        }
#pragma unroll
        for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) {
            if (g >= ng) break;
            float dot = 0.0f;
#pragma unroll
            for (int e = 0; e < 8; e++) dot += qv[g][e] * k[e];
            dot = warp_sum(dot, LPT);  // groups of LPT lanes are aligned, so width LPT keeps them apart
            if (slice == 0 && in_range) scores[g * FL_DECODE_PART + (t - start)] = t >= lo ? dot : fl_neg_inf();
        }
    }
    __syncthreads();

    // softmax statistics per query head; scores become unnormalised probabilities
    // (unrolled with compile-time indices so m and l stay in registers; ng is uniform across the block)
    float m[FL_DECODE_MAX_GROUP], l[FL_DECODE_MAX_GROUP];
#pragma unroll
    for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) {
        m[g] = fl_neg_inf();
        l[g] = 0.0f;
        if (g < ng) {
            float* sg = scores + g * FL_DECODE_PART;
            float mx = fl_neg_inf();
            for (int i = tid; i < n; i += FL_DECODE_THREADS) mx = fmaxf(mx, sg[i]);
            mx = block_max(mx, scratch);
            float sum = 0.0f;
            for (int i = tid; i < n; i += FL_DECODE_THREADS) {
                float p = mx == fl_neg_inf() ? 0.0f : expf(sg[i] - mx);
                sg[i] = p;
                sum += p;
            }
            sum = block_sum(sum, scratch);
            m[g] = mx;
            l[g] = sum;
        }
    }
    __syncthreads();

    // p.v: thread owns elements 2 * pair, 2 * pair + 1 and tokens stream, stream + STREAMS, ...
    const int pair = tid % PAIRS, stream = tid / PAIRS;
    float acc[FL_DECODE_MAX_GROUP][2];
#pragma unroll
    for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) acc[g][0] = acc[g][1] = 0.0f;
    for (int i = stream; i < n; i += STREAMS) {
        int t = start + i;
        int page = table[t / block_size];
        long long off = (((long long)page * block_size + t % block_size) * hkv + h) * D + 2 * pair;
        float2 v = __bfloat1622float2(*reinterpret_cast<const __nv_bfloat162*>(v_cache + off));
#pragma unroll
        for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) {
            if (g >= ng) break;
            float p = scores[g * FL_DECODE_PART + i];
            acc[g][0] += p * v.x;
            acc[g][1] += p * v.y;
        }
    }
    if (STREAMS > 1) {
#pragma unroll
        for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) {
            if (g < ng) {
                partial[(stream * FL_DECODE_MAX_GROUP + g) * D + 2 * pair] = acc[g][0];
                partial[(stream * FL_DECODE_MAX_GROUP + g) * D + 2 * pair + 1] = acc[g][1];
            }
        }
        __syncthreads();
        if (stream != 0) return;
#pragma unroll
        for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) {
            if (g < ng) {
                for (int z = 1; z < STREAMS; z++) {
                    acc[g][0] += partial[(z * FL_DECODE_MAX_GROUP + g) * D + 2 * pair];
                    acc[g][1] += partial[(z * FL_DECODE_MAX_GROUP + g) * D + 2 * pair + 1];
                }
            }
        }
    }
#pragma unroll
    for (int g = 0; g < FL_DECODE_MAX_GROUP; g++) {
        if (g >= ng) break;
        long long idx = ((long long)(split_offsets[s] + split)) * hq + h * group + g0 + g;
        float inv = l[g] > 0.0f ? 1.0f / l[g] : 0.0f;
        part_out[idx * D + 2 * pair] = acc[g][0] * inv;
        part_out[idx * D + 2 * pair + 1] = acc[g][1] * inv;
        if (pair == 0) {
            part_ml[idx * 2] = m[g];
            part_ml[idx * 2 + 1] = l[g];
        }
    }
}

#define FL_DECODE_KERNEL(D)                                                                                  \
    extern "C" __global__ void __launch_bounds__(FL_DECODE_THREADS) paged_decode_d##D(                       \
        const bf16* q, const bf16* k_cache, const bf16* v_cache, const int* seq_rows, const int* context_lens, \
        const int* block_tables, int bt_stride, int block_size, int hq, int hkv, float scale, int window,    \
        const int* split_offsets, float* part_out, float* part_ml) {                                         \
        paged_decode<D>(q, k_cache, v_cache, seq_rows, context_lens, block_tables, bt_stride, block_size, hq, \
                        hkv, scale, window, split_offsets, part_out, part_ml);                               \
    }                                                                                                        \
    FL_EXPORT(paged_decode_d##D)

FL_DECODE_KERNEL(16)
FL_DECODE_KERNEL(32)
FL_DECODE_KERNEL(64)
FL_DECODE_KERNEL(128)
FL_DECODE_KERNEL(256)

// Pass 2. grid: (S, Hq); block: up to 256 threads striding over the head dimension.
extern "C" __global__ void decode_reduce(const float* __restrict__ part_out, const float* __restrict__ part_ml,
                                         const int* __restrict__ seq_rows, const int* __restrict__ context_lens,
                                         const int* __restrict__ split_offsets, bf16* __restrict__ out, int hq,
                                         int head_dim) {
    int s = blockIdx.x, hh = blockIdx.y;
    int ctx = context_lens[s];
    int row = seq_rows[s];
    bf16* o = out + ((long long)row * hq + hh) * head_dim;
    int splits = (ctx + FL_DECODE_PART - 1) / FL_DECODE_PART;
    long long first = split_offsets[s];
    float big = fl_neg_inf();
    for (int z = 0; z < splits; z++) {
        long long idx = (first + z) * hq + hh;
        if (part_ml[idx * 2 + 1] > 0.0f) big = fmaxf(big, part_ml[idx * 2]);
    }
    for (int d = threadIdx.x; d < head_dim; d += blockDim.x) {
        float num = 0.0f, den = 0.0f;
        for (int z = 0; z < splits; z++) {
            long long idx = (first + z) * hq + hh;
            float mz = part_ml[idx * 2], lz = part_ml[idx * 2 + 1];
            if (!(lz > 0.0f)) continue;
            float w = lz * expf(mz - big);
            num += w * part_out[idx * head_dim + d];
            den += w;
        }
        o[d] = to_bf(den > 0.0f ? num / den : 0.0f);
    }
}
FL_EXPORT(decode_reduce)
