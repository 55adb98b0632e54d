// Tiled causal attention for prefill chunks on tensor cores (bf16 wmma, f32 accumulation), reading keys and
// values from the paged KV cache, so a chunk attends to its cached prefix (prefix-cache hits, earlier chunks)
// and to itself the same way.
//
// Work: one block per (query tile, query head). The host lists the tiles as (sequence, first query row of
// the tile) pairs, so no block idles on short sequences. A tile holds BQ query rows, 16 per warp. Keys are
// walked in tiles of BK = 32: S = Q K^T on tensor cores, an online softmax over S in shared memory (two lanes
// per query row), then O += P V on tensor cores with O kept in shared memory in f32. The wmma element
// layout is opaque, so O is rescaled row by row in shared memory instead of in fragments.
//
// Positions: a sequence's chunk of q_len queries ends its context of ctx tokens, so query i sits at
// position ctx - q_len + i and sees keys at positions <= its own (and > position - window with a window).
//
// Layouts: q, out [T, Hq, D] (the sequence's rows start at q_start[s]); pages [num_blocks, block_size, Hkv,
// D]; block_tables [S, bt_stride]; tiles [n_tiles, 2].
#include "common.cuh"

using namespace nvcuda;

#define FL_PREFILL_BK 32

template <int D>
struct PrefillShape {
    static constexpr int BQ = D > 128 ? 32 : 64;
    static constexpr int WARPS = BQ / 16;
    static constexpr int LDH = D + 8;               // bf16 rows of Q, K, V
    static constexpr int LDS = FL_PREFILL_BK + 4;   // f32 rows of S
    static constexpr int LDP = FL_PREFILL_BK + 8;   // bf16 rows of P
    static constexpr int LDO = D + 4;               // f32 rows of O
    static constexpr int Q_BYTES = BQ * LDH * 2;
    static constexpr int KV_BYTES = FL_PREFILL_BK * LDH * 2;
    static constexpr int S_BYTES = WARPS * 16 * LDS * 4;
    static constexpr int P_BYTES = WARPS * 16 * LDP * 2;
    static constexpr int O_BYTES = WARPS * 16 * LDO * 4;
    static constexpr int SMEM = Q_BYTES + 2 * KV_BYTES + S_BYTES + P_BYTES + O_BYTES;
};

template <int D>
__device__ __forceinline__ void load_kv_tile(bf16* dst, const bf16* __restrict__ cache, const int* table, int k0,
                                             int limit, int block_size, int hkv, int h) {
    using Sh = PrefillShape<D>;
    constexpr int CHUNKS = D / 8;
    for (int c = threadIdx.x; c < FL_PREFILL_BK * CHUNKS; c += Sh::WARPS * 32) {
        int r = c / CHUNKS, part = c % CHUNKS;
        int key = k0 + r;
        uint4 v = make_uint4(0, 0, 0, 0);  // keys past the context read as zeros (never NaN * 0)
        if (key < limit) {
            int page = table[key / block_size];
            long long off = (((long long)page * block_size + key % block_size) * hkv + h) * D + part * 8;
            v = *reinterpret_cast<const uint4*>(cache + off);
        }
        *reinterpret_cast<uint4*>(dst + r * Sh::LDH + part * 8) = v;
    }
}

template <int D>
__device__ __forceinline__ void prefill_attention(const bf16* __restrict__ q, const bf16* __restrict__ k_cache,
                                                  const bf16* __restrict__ v_cache, const int* __restrict__ tiles,
                                                  const int* __restrict__ q_start, const int* __restrict__ q_len,
                                                  const int* __restrict__ context_lens,
                                                  const int* __restrict__ block_tables, int bt_stride,
                                                  int block_size, int hq, int hkv, float scale, int window,
                                                  bf16* __restrict__ out) {
    using Sh = PrefillShape<D>;
    constexpr int BK = FL_PREFILL_BK;
    FL_DYNAMIC_SMEM(unsigned char, smem);
    bf16* Qs = reinterpret_cast<bf16*>(smem);
    bf16* Ks = reinterpret_cast<bf16*>(smem + Sh::Q_BYTES);
    bf16* Vs = reinterpret_cast<bf16*>(smem + Sh::Q_BYTES + Sh::KV_BYTES);
    float* Ss = reinterpret_cast<float*>(smem + Sh::Q_BYTES + 2 * Sh::KV_BYTES);
    bf16* Ps = reinterpret_cast<bf16*>(smem + Sh::Q_BYTES + 2 * Sh::KV_BYTES + Sh::S_BYTES);
    float* Os = reinterpret_cast<float*>(smem + Sh::Q_BYTES + 2 * Sh::KV_BYTES + Sh::S_BYTES + Sh::P_BYTES);

    const int s = tiles[2 * blockIdx.x];
    const int q0 = tiles[2 * blockIdx.x + 1];
    const int hh = blockIdx.y;
    const int h = hh / (hq / hkv);
    const int len = q_len[s];
    const int ctx = context_lens[s];
    const int first_pos = ctx - len;  // position of query 0
    const int rows_here = min(Sh::BQ, len - q0);
    const int row0 = q_start[s] + q0;
    const int* table = block_tables + (long long)s * bt_stride;
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;

    // Q tile, zero rows past the chunk
    constexpr int CHUNKS = D / 8;
    for (int c = tid; c < Sh::BQ * CHUNKS; c += Sh::WARPS * 32) {
        int r = c / CHUNKS, part = c % CHUNKS;
        uint4 v = make_uint4(0, 0, 0, 0);
        if (r < rows_here) v = *reinterpret_cast<const uint4*>(q + ((long long)(row0 + r) * hq + hh) * D + part * 8);
        *reinterpret_cast<uint4*>(Qs + r * Sh::LDH + part * 8) = v;
    }
    float* Ow = Os + warp * 16 * Sh::LDO;
    float* Sw = Ss + warp * 16 * Sh::LDS;
    bf16* Pw = Ps + warp * 16 * Sh::LDP;
    for (int i = lane; i < 16 * Sh::LDO; i += 32) Ow[i] = 0.0f;

    // Two lanes per query row: lane 2r and 2r + 1 share row r of this warp's 16, each half of the columns.
    const int r = lane >> 1, half = lane & 1;
    const int qrow = warp * 16 + r;  // row inside the tile
    const bool row_valid = qrow < rows_here;
    const int qpos = first_pos + q0 + qrow;
    float m = fl_neg_inf(), l = 0.0f;

    const int last_pos = first_pos + q0 + rows_here - 1;
    const int n_keys = last_pos + 1;  // causal: no query of the tile sees past last_pos
    int k_begin = 0;
    if (window > 0) k_begin = max(0, first_pos + q0 - window + 1) / BK * BK;

    for (int k0 = k_begin; k0 < n_keys; k0 += BK) {
        __syncthreads();  // everyone is done with the previous K, V tiles (and Q is in place on entry)
        load_kv_tile<D>(Ks, k_cache, table, k0, n_keys, block_size, hkv, h);
        load_kv_tile<D>(Vs, v_cache, table, k0, n_keys, block_size, hkv, h);
        __syncthreads();

        // S = Q_w K^T (16 x BK)
#pragma unroll
        for (int n = 0; n < BK / 16; n++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::fill_fragment(acc, 0.0f);
#pragma unroll
            for (int kk = 0; kk < D / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b;
                wmma::load_matrix_sync(a, Qs + warp * 16 * Sh::LDH + kk * 16, Sh::LDH);
                wmma::load_matrix_sync(b, Ks + n * 16 * Sh::LDH + kk * 16, Sh::LDH);
                wmma::mma_sync(acc, a, b, acc);
            }
            wmma::store_matrix_sync(Sw + n * 16, acc, Sh::LDS, wmma::mem_row_major);
        }
        __syncwarp();

        // online softmax on row r, columns [half * BK/2, (half + 1) * BK/2)
        float sv[BK / 2];
        float mx = fl_neg_inf();
#pragma unroll
        for (int j = 0; j < BK / 2; j++) {
            int c = half * (BK / 2) + j;
            int key = k0 + c;
            bool visible = row_valid && key <= qpos && (window <= 0 || key > qpos - window);
            float v = visible ? Sw[r * Sh::LDS + c] * scale : fl_neg_inf();
            sv[j] = v;
            mx = fmaxf(mx, v);
        }
        mx = fmaxf(mx, __shfl_xor_sync(FL_FULL_MASK, mx, 1));
        float m_new = fmaxf(m, mx);
        float alpha = m_new == fl_neg_inf() ? 1.0f : expf(m - m_new);
        float sum = 0.0f;
#pragma unroll
        for (int j = 0; j < BK / 2; j++) {
            float p = m_new == fl_neg_inf() ? 0.0f : expf(sv[j] - m_new);
            sum += p;
            Pw[r * Sh::LDP + half * (BK / 2) + j] = to_bf(p);
        }
        sum += __shfl_xor_sync(FL_FULL_MASK, sum, 1);
        l = l * alpha + sum;
        m = m_new;
        for (int d = half * (D / 2); d < (half + 1) * (D / 2); d++) Ow[r * Sh::LDO + d] *= alpha;
        __syncwarp();

        // O_w += P_w V
#pragma unroll
        for (int j = 0; j < D / 16; j++) {
            wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc;
            wmma::load_matrix_sync(acc, Ow + j * 16, Sh::LDO, wmma::mem_row_major);
#pragma unroll
            for (int kk = 0; kk < BK / 16; kk++) {
                wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a;
                wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::row_major> b;
                wmma::load_matrix_sync(a, Pw + kk * 16, Sh::LDP);
                wmma::load_matrix_sync(b, Vs + kk * 16 * Sh::LDH + j * 16, Sh::LDH);
                wmma::mma_sync(acc, a, b, acc);
            }
            wmma::store_matrix_sync(Ow + j * 16, acc, Sh::LDO, wmma::mem_row_major);
        }
        __syncwarp();
    }

    if (!row_valid) return;
    float inv = l > 0.0f ? 1.0f / l : 0.0f;
    bf16* o = out + ((long long)(row0 + qrow) * hq + hh) * D;
    for (int d = half * (D / 2); d < (half + 1) * (D / 2); d++) o[d] = to_bf(Ow[r * Sh::LDO + d] * inv);
}

#define FL_PREFILL_KERNEL(D)                                                                                   \
    extern "C" __global__ void __launch_bounds__(PrefillShape<D>::WARPS * 32) prefill_attention_d##D(          \
        const bf16* q, const bf16* k_cache, const bf16* v_cache, const int* tiles, const int* q_start,          \
        const int* q_len, const int* context_lens, const int* block_tables, int bt_stride, int block_size,      \
        int hq, int hkv, float scale, int window, bf16* out) {                                                  \
        prefill_attention<D>(q, k_cache, v_cache, tiles, q_start, q_len, context_lens, block_tables, bt_stride, \
                             block_size, hq, hkv, scale, window, out);                                          \
    }                                                                                                          \
    FL_EXPORT(prefill_attention_d##D)

FL_PREFILL_KERNEL(16)
FL_PREFILL_KERNEL(32)
FL_PREFILL_KERNEL(64)
FL_PREFILL_KERNEL(128)
FL_PREFILL_KERNEL(256)
