// Shared helpers of Fairlane's kernels.
//
// Every kernel is extern "C" (so the Java side finds it by name with cuModuleGetFunction) and is followed by
// FL_EXPORT(name), which registers it with the host emulator the tests use and expands to nothing under nvcc.
// Kernels stick to what the emulator models (see src/test/cuda/cuda_emu.hpp): no inline PTX, tensor cores
// through the wmma API, dynamic shared memory through FL_DYNAMIC_SMEM.
//
// Conventions: activations and weights are bf16 unless a name says f32; the residual stream is f32; all
// element offsets into KV pages and weight matrices are computed in 64-bit.
#pragma once

#ifdef FAIRLANE_EMU
#include "cuda_emu.hpp"
#else
#include <cuda_bf16.h>
#include <mma.h>
#include <stdint.h>
#define FL_EXPORT(kernel)
#define FL_DYNAMIC_SMEM(type, name)                                     \
    extern __shared__ __align__(16) unsigned char fl_dynamic_smem_[];  \
    type* name = reinterpret_cast<type*>(fl_dynamic_smem_)
#endif

typedef __nv_bfloat16 bf16;

#define FL_FULL_MASK 0xffffffffu

__device__ __forceinline__ float fl_nan() { return __int_as_float(0x7fffffff); }
__device__ __forceinline__ float fl_neg_inf() { return __int_as_float((int)0xff800000u); }

__device__ __forceinline__ float to_f(bf16 v) { return __bfloat162float(v); }
__device__ __forceinline__ bf16 to_bf(float v) { return __float2bfloat16(v); }

// Eight consecutive bf16 values through one 16-byte access (p must be 16-byte aligned).
__device__ __forceinline__ void load8(const bf16* p, float* out) {
    uint4 raw = *reinterpret_cast<const uint4*>(p);
    const __nv_bfloat162* h = reinterpret_cast<const __nv_bfloat162*>(&raw);
#pragma unroll
    for (int i = 0; i < 4; i++) {
        float2 f = __bfloat1622float2(h[i]);
        out[2 * i] = f.x;
        out[2 * i + 1] = f.y;
    }
}

__device__ __forceinline__ void store8(bf16* p, const float* in) {
    uint4 raw;
    __nv_bfloat162* h = reinterpret_cast<__nv_bfloat162*>(&raw);
#pragma unroll
    for (int i = 0; i < 4; i++) h[i] = __floats2bfloat162_rn(in[2 * i], in[2 * i + 1]);
    *reinterpret_cast<uint4*>(p) = raw;
}

// Sum / max over the lanes of one warp, or of a power-of-two group of `width` lanes inside it.
__device__ __forceinline__ float warp_sum(float v, int width = 32) {
    for (int o = width / 2; o > 0; o >>= 1) v += __shfl_xor_sync(FL_FULL_MASK, v, o, width);
    return v;
}

__device__ __forceinline__ float warp_max(float v, int width = 32) {
    for (int o = width / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(FL_FULL_MASK, v, o, width));
    return v;
}

// Block-wide reductions; every thread of the block must call them and receives the result. A block of fewer
// than 32 threads must have a power-of-two size; larger blocks a multiple of 32. `scratch` holds 32 floats.
__device__ __forceinline__ float block_sum(float v, float* scratch) {
    int n = blockDim.x;
    if (n < 32) {
        for (int o = n / 2; o > 0; o >>= 1) v += __shfl_xor_sync((1u << n) - 1u, v, o, n);
        return v;
    }
    v = warp_sum(v);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = n >> 5;
    if (warps == 1) return v;
    __syncthreads();  // scratch may still be read by a previous reduction
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : 0.0f;
    return warp_sum(v);
}

__device__ __forceinline__ float block_max(float v, float* scratch) {
    int n = blockDim.x;
    if (n < 32) {
        for (int o = n / 2; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync((1u << n) - 1u, v, o, n));
        return v;
    }
    v = warp_max(v);
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = n >> 5;
    if (warps == 1) return v;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    v = lane < warps ? scratch[lane] : fl_neg_inf();
    return warp_max(v);
}
