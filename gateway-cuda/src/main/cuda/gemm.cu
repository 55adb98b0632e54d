// The fallback GEMM for hosts without a libcublas: Y[M, N] = X[M, K] . W[N, K]^T, the shape of every linear
// layer (HF stores weights as [out_features, in_features]). bf16 inputs, f32 accumulation on tensor cores
// (wmma), output bf16 or f32 (logits).
//
// A block computes a 64 x 64 tile of Y with 4 warps (2 x 2, each 32 x 32 = 2 x 2 fragments), staging
// 64 x 32 slices of X and W through shared memory. Edges are zero-padded, so M, N and K are arbitrary;
// 16-byte loads are used when K % 8 == 0 (rows stay aligned), element loads otherwise.
// This is a correct, plain tensor-core kernel; cuBLAS stays the fast path.
#include "common.cuh"

using namespace nvcuda;

#define FL_GEMM_BM 64
#define FL_GEMM_BN 64
#define FL_GEMM_BK 32
#define FL_GEMM_LD (FL_GEMM_BK + 8)
#define FL_GEMM_LDC (32 + 4)

__device__ __forceinline__ void gemm_stage(bf16* dst, const bf16* __restrict__ src, int rows_total, int row0,
                                           int K, int k0, bool vec) {
    // 64 rows x 32 columns = 256 chunks of 8
    for (int c = threadIdx.x; c < FL_GEMM_BM * (FL_GEMM_BK / 8); c += 128) {
        int r = c / (FL_GEMM_BK / 8), part = c % (FL_GEMM_BK / 8);
        int gr = row0 + r, gk = k0 + part * 8;
        bf16* d = dst + r * FL_GEMM_LD + part * 8;
        if (vec) {
            uint4 v = make_uint4(0, 0, 0, 0);
            if (gr < rows_total && gk < K) v = *reinterpret_cast<const uint4*>(src + (long long)gr * K + gk);
            *reinterpret_cast<uint4*>(d) = v;
        } else {
            for (int e = 0; e < 8; e++)
                d[e] = (gr < rows_total && gk + e < K) ? src[(long long)gr * K + gk + e] : to_bf(0.0f);
        }
    }
}

extern "C" __global__ void __launch_bounds__(128) gemm_bf16_tn(const bf16* __restrict__ x, const bf16* __restrict__ w,
                                                               void* __restrict__ y, int M, int N, int K,
                                                               int out_f32) {
    __shared__ __align__(32) bf16 As[FL_GEMM_BM * FL_GEMM_LD];
    __shared__ __align__(32) bf16 Bs[FL_GEMM_BN * FL_GEMM_LD];
    __shared__ __align__(32) float Cs[4 * 32 * FL_GEMM_LDC];
    const int n0 = blockIdx.x * FL_GEMM_BN, m0 = blockIdx.y * FL_GEMM_BM;
    const int warp = threadIdx.x >> 5, lane = threadIdx.x & 31;
    const int wm = (warp >> 1) * 32, wn = (warp & 1) * 32;
    const bool vec = (K & 7) == 0;

    wmma::fragment<wmma::accumulator, 16, 16, 16, float> acc[2][2];
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++) wmma::fill_fragment(acc[i][j], 0.0f);

    for (int k0 = 0; k0 < K; k0 += FL_GEMM_BK) {
        __syncthreads();
        gemm_stage(As, x, M, m0, K, k0, vec);
        gemm_stage(Bs, w, N, n0, K, k0, vec);
        __syncthreads();
#pragma unroll
        for (int kk = 0; kk < FL_GEMM_BK; kk += 16) {
            wmma::fragment<wmma::matrix_a, 16, 16, 16, bf16, wmma::row_major> a[2];
            wmma::fragment<wmma::matrix_b, 16, 16, 16, bf16, wmma::col_major> b[2];
#pragma unroll
            for (int i = 0; i < 2; i++) wmma::load_matrix_sync(a[i], As + (wm + i * 16) * FL_GEMM_LD + kk, FL_GEMM_LD);
#pragma unroll
            for (int j = 0; j < 2; j++) wmma::load_matrix_sync(b[j], Bs + (wn + j * 16) * FL_GEMM_LD + kk, FL_GEMM_LD);
#pragma unroll
            for (int i = 0; i < 2; i++)
#pragma unroll
                for (int j = 0; j < 2; j++) wmma::mma_sync(acc[i][j], a[i], b[j], acc[i][j]);
        }
    }

    float* Cw = Cs + warp * 32 * FL_GEMM_LDC;
#pragma unroll
    for (int i = 0; i < 2; i++)
#pragma unroll
        for (int j = 0; j < 2; j++)
            wmma::store_matrix_sync(Cw + i * 16 * FL_GEMM_LDC + j * 16, acc[i][j], FL_GEMM_LDC, wmma::mem_row_major);
    __syncwarp();
    for (int e = lane; e < 32 * 32; e += 32) {
        int r = e / 32, c = e % 32;
        int gm = m0 + wm + r, gn = n0 + wn + c;
        if (gm >= M || gn >= N) continue;
        float v = Cw[r * FL_GEMM_LDC + c];
        if (out_f32) reinterpret_cast<float*>(y)[(long long)gm * N + gn] = v;
        else reinterpret_cast<bf16*>(y)[(long long)gm * N + gn] = to_bf(v);
    }
}
FL_EXPORT(gemm_bf16_tn)
