// A CUDA execution emulator for host C++: lets the project's kernels (src/main/cuda/*.cu) run on a
// machine without a GPU, so their logic is tested by the ordinary test suite.
//
// How it works. A launch runs its blocks one after another on the calling OS thread. Each CUDA thread of
// a block is a coroutine with its own stack; the block's scheduler resumes them round-robin.
// Barriers (__syncthreads, __syncwarp, the shuffles and votes) are the only switch points: a thread that
// reaches one yields, and the scheduler releases the barrier once every live thread it concerns has
// arrived. Deadlocks (a warp barrier some lanes never reach) and shuffles that read a lane which did not
// contribute are reported as launch errors instead of hanging or returning garbage.
//
// What it models faithfully: thread/block indexing, static and dynamic shared memory (one block at a
// time, so function-local statics are exactly per-block storage), barrier semantics including exited
// threads counting as arrived at __syncthreads (as on sm_70+), warp shuffles/votes, atomics (trivially,
// one OS thread), bf16 rounding (round to nearest even, as the hardware conversion does) and the wmma
// fragment API (each lane holds the whole tile; elementwise fragment ops must be uniform, which the CUDA
// programming guide requires anyway because the element-to-lane mapping is unspecified).
//
// What it does not model: timing, memory coalescing, bank conflicts, the exact accumulation order of
// tensor cores (it accumulates in fp32 in k order), and races between blocks (blocks never overlap here).
// Races inside a block still show up as wrong results when a barrier is missing, because the scheduler
// runs each thread as far as it can before switching.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#ifndef FAIRLANE_EMU
#define FAIRLANE_EMU 1
#endif

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline
#define __noinline__
#define __launch_bounds__(...)
#define __restrict__ __restrict
#define __align__(n) __attribute__((aligned(n)))
#define __shared__ static
#define __constant__ static
#define __grid_constant__

// ---------------------------------------------------------------------------------------------------------
// Vector types and indices
// ---------------------------------------------------------------------------------------------------------
struct uint3 { unsigned x, y, z; };
struct dim3 {
    unsigned x, y, z;
    dim3(unsigned a = 1, unsigned b = 1, unsigned c = 1) : x(a), y(b), z(c) {}
};
struct __align__(8) float2 { float x, y; };
struct __align__(16) float4 { float x, y, z, w; };
struct __align__(8) int2 { int x, y; };
struct __align__(16) int4 { int x, y, z, w; };
struct __align__(8) uint2 { unsigned x, y; };
struct __align__(16) uint4 { unsigned x, y, z, w; };
inline float2 make_float2(float x, float y) { return {x, y}; }
inline float4 make_float4(float x, float y, float z, float w) { return {x, y, z, w}; }
inline int2 make_int2(int x, int y) { return {x, y}; }
inline uint4 make_uint4(unsigned x, unsigned y, unsigned z, unsigned w) { return {x, y, z, w}; }

namespace fl_emu {

extern thread_local uint3 tl_thread_idx;
extern thread_local uint3 tl_block_idx;
extern thread_local dim3 tl_block_dim;
extern thread_local dim3 tl_grid_dim;
void sync_block();
void sync_warp();
void warp_exchange(const void* value, void* out, int size, int src_lane_or_minus1, int mode, int arg);
unsigned warp_vote(int predicate, int kind);
void* dynamic_shared_memory();
float* warp_scratch();  // 256 floats per warp, for warp-collective helpers
[[noreturn]] void fail(const char* message);
int lane_id();
}  // namespace fl_emu

#define threadIdx (::fl_emu::tl_thread_idx)
#define blockIdx (::fl_emu::tl_block_idx)
#define blockDim (::fl_emu::tl_block_dim)
#define gridDim (::fl_emu::tl_grid_dim)
static const int warpSize = 32;

inline void __syncthreads() { fl_emu::sync_block(); }
inline void __syncwarp(unsigned = 0xffffffffu) { fl_emu::sync_warp(); }
inline void __threadfence() {}
inline void __threadfence_block() {}
inline unsigned __activemask() { return fl_emu::warp_vote(1, 0); }
inline unsigned __ballot_sync(unsigned, int p) { return fl_emu::warp_vote(p, 0); }
inline int __any_sync(unsigned, int p) { return fl_emu::warp_vote(p, 0) != 0; }
inline int __all_sync(unsigned, int p) { return fl_emu::warp_vote(p, 1) != 0; }

// Shuffle modes: 0 = from a lane index, 1 = xor, 2 = down, 3 = up.
template <typename T>
inline T fl_emu_shfl(T v, int mode, int arg, int width) {
    static_assert(sizeof(T) <= 8, "shuffle of types up to 8 bytes");
    T out;
    fl_emu::warp_exchange(&v, &out, sizeof(T), width, mode, arg);
    return out;
}
template <typename T> inline T __shfl_sync(unsigned, T v, int src, int width = 32) { return fl_emu_shfl(v, 0, src, width); }
template <typename T> inline T __shfl_xor_sync(unsigned, T v, int m, int width = 32) { return fl_emu_shfl(v, 1, m, width); }
template <typename T> inline T __shfl_down_sync(unsigned, T v, unsigned d, int width = 32) { return fl_emu_shfl(v, 2, (int)d, width); }
template <typename T> inline T __shfl_up_sync(unsigned, T v, unsigned d, int width = 32) { return fl_emu_shfl(v, 3, (int)d, width); }

// ---------------------------------------------------------------------------------------------------------
// Math and bit intrinsics (host versions)
// ---------------------------------------------------------------------------------------------------------
inline float rsqrtf(float x) { return 1.0f / std::sqrt(x); }
inline float __expf(float x) { return std::exp(x); }
inline float __logf(float x) { return std::log(x); }
inline float __fdividef(float a, float b) { return a / b; }
inline float __frcp_rn(float x) { return 1.0f / x; }
inline float __saturatef(float x) { return x < 0 ? 0 : (x > 1 ? 1 : x); }
inline float __fmaf_rn(float a, float b, float c) { return std::fma(a, b, c); }
inline void __sincosf(float x, float* s, float* c) { *s = std::sin(x); *c = std::cos(x); }
inline float __int_as_float(int i) { float f; std::memcpy(&f, &i, 4); return f; }
inline int __float_as_int(float f) { int i; std::memcpy(&i, &f, 4); return i; }
inline float __uint_as_float(unsigned i) { float f; std::memcpy(&f, &i, 4); return f; }
inline unsigned __float_as_uint(float f) { unsigned i; std::memcpy(&i, &f, 4); return i; }
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __clz(int x) { return x == 0 ? 32 : __builtin_clz((unsigned)x); }
inline int __float2int_rn(float x) { return (int)std::nearbyint(x); }
inline unsigned long long __double_as_longlong(double d) { unsigned long long r; std::memcpy(&r, &d, 8); return r; }
template <typename T> inline T __ldg(const T* p) { return *p; }
inline int min(int a, int b) { return a < b ? a : b; }
inline int max(int a, int b) { return a > b ? a : b; }
inline unsigned min(unsigned a, unsigned b) { return a < b ? a : b; }
inline unsigned max(unsigned a, unsigned b) { return a > b ? a : b; }
inline long long min(long long a, long long b) { return a < b ? a : b; }
inline long long max(long long a, long long b) { return a > b ? a : b; }
inline float min(float a, float b) { return std::fmin(a, b); }
inline float max(float a, float b) { return std::fmax(a, b); }
inline void sincosf(float x, float* s, float* c) { *s = std::sin(x); *c = std::cos(x); }

// Atomics: the emulator runs one OS thread per launch, so plain read-modify-write is atomic.
template <typename T> inline T atomicAdd(T* p, T v) { T old = *p; *p = old + v; return old; }
template <typename T> inline T atomicMax(T* p, T v) { T old = *p; if (v > old) *p = v; return old; }
template <typename T> inline T atomicMin(T* p, T v) { T old = *p; if (v < old) *p = v; return old; }
template <typename T> inline T atomicExch(T* p, T v) { T old = *p; *p = v; return old; }
template <typename T> inline T atomicCAS(T* p, T cmp, T v) { T old = *p; if (old == cmp) *p = v; return old; }

// ---------------------------------------------------------------------------------------------------------
// bfloat16: same storage and rounding as cuda_bf16.h (round to nearest even, NaN kept quiet)
// ---------------------------------------------------------------------------------------------------------
struct __align__(2) __nv_bfloat16 { unsigned short __x; };
struct __align__(4) __nv_bfloat162 { __nv_bfloat16 x, y; };
inline __nv_bfloat16 __float2bfloat16(float f) {
    unsigned u = __float_as_uint(f);
    __nv_bfloat16 r;
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        r.__x = (unsigned short)((u >> 16) | 0x40u);
        return r;
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    r.__x = (unsigned short)(u >> 16);
    return r;
}
inline __nv_bfloat16 __float2bfloat16_rn(float f) { return __float2bfloat16(f); }
inline float __bfloat162float(__nv_bfloat16 b) { return __uint_as_float(((unsigned)b.__x) << 16); }
inline __nv_bfloat162 __floats2bfloat162_rn(float a, float b) { return {__float2bfloat16(a), __float2bfloat16(b)}; }
inline __nv_bfloat162 __float22bfloat162_rn(float2 v) { return __floats2bfloat162_rn(v.x, v.y); }
inline float2 __bfloat1622float2(__nv_bfloat162 v) { return {__bfloat162float(v.x), __bfloat162float(v.y)}; }
inline float __low2float(__nv_bfloat162 v) { return __bfloat162float(v.x); }
inline float __high2float(__nv_bfloat162 v) { return __bfloat162float(v.y); }

// ---------------------------------------------------------------------------------------------------------
// wmma: each lane keeps the whole tile. Loads read it whole, mma multiplies it whole (fp32 accumulation in
// k order), stores write it whole. Uniform elementwise operations on x[] therefore mean the same thing as on
// the hardware; kernels must not depend on which element a lane holds (the hardware does not specify it).
// ---------------------------------------------------------------------------------------------------------
namespace nvcuda {
namespace wmma {
struct matrix_a {};
struct matrix_b {};
struct accumulator {};
struct row_major {};
struct col_major {};
enum layout_t { mem_row_major, mem_col_major };

template <typename Use, int M, int N, int K> struct frag_dims;
template <int M, int N, int K> struct frag_dims<matrix_a, M, N, K> { static const int rows = M, cols = K; };
template <int M, int N, int K> struct frag_dims<matrix_b, M, N, K> { static const int rows = K, cols = N; };
template <int M, int N, int K> struct frag_dims<accumulator, M, N, K> { static const int rows = M, cols = N; };

template <typename Use, int M, int N, int K, typename T, typename Layout = void>
struct fragment {
    static const int rows = frag_dims<Use, M, N, K>::rows;
    static const int cols = frag_dims<Use, M, N, K>::cols;
    static const int num_elements = rows * cols;
    T x[rows * cols];  // row-major logical tile
};

template <typename T> inline float fl_to_float(T v) { return (float)v; }
template <> inline float fl_to_float<__nv_bfloat16>(__nv_bfloat16 v) { return __bfloat162float(v); }

template <typename Use, int M, int N, int K, typename T, typename L, typename V>
inline void fill_fragment(fragment<Use, M, N, K, T, L>& f, const V& v) {
    for (int i = 0; i < f.num_elements; i++) f.x[i] = v;
}

template <typename Use, int M, int N, int K, typename T>
inline void load_matrix_sync(fragment<Use, M, N, K, T, row_major>& f, const T* p, unsigned ldm) {
    fl_emu::sync_warp();
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++) f.x[r * f.cols + c] = p[(size_t)r * ldm + c];
}
template <typename Use, int M, int N, int K, typename T>
inline void load_matrix_sync(fragment<Use, M, N, K, T, col_major>& f, const T* p, unsigned ldm) {
    fl_emu::sync_warp();
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++) f.x[r * f.cols + c] = p[(size_t)c * ldm + r];
}
template <int M, int N, int K, typename T>
inline void load_matrix_sync(fragment<accumulator, M, N, K, T, void>& f, const T* p, unsigned ldm, layout_t l) {
    fl_emu::sync_warp();
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++)
            f.x[r * f.cols + c] = l == mem_row_major ? p[(size_t)r * ldm + c] : p[(size_t)c * ldm + r];
}
template <int M, int N, int K, typename T>
inline void store_matrix_sync(T* p, const fragment<accumulator, M, N, K, T, void>& f, unsigned ldm, layout_t l) {
    // Every lane writes the same values; the barriers keep a lane's store from overtaking another lane's
    // earlier read of the same shared memory, which the hardware's warp-synchronous execution rules out.
    fl_emu::sync_warp();
    for (int r = 0; r < f.rows; r++)
        for (int c = 0; c < f.cols; c++) {
            if (l == mem_row_major) p[(size_t)r * ldm + c] = f.x[r * f.cols + c];
            else p[(size_t)c * ldm + r] = f.x[r * f.cols + c];
        }
    fl_emu::sync_warp();
}
// Every lane holds identical operands (they were loaded whole from the same memory), so lane 0 multiplies
// once for the warp and the others copy its result: the same values, 32 times less emulation work.
template <int M, int N, int K, typename TA, typename LA, typename LB, typename TC>
inline void mma_sync(fragment<accumulator, M, N, K, TC, void>& d, const fragment<matrix_a, M, N, K, TA, LA>& a,
                     const fragment<matrix_b, M, N, K, TA, LB>& b, const fragment<accumulator, M, N, K, TC, void>& c) {
    static_assert(M * N <= 256, "tile too large for the warp scratch");
    fl_emu::sync_warp();
    float* out = fl_emu::warp_scratch();
    if (fl_emu::lane_id() == 0) {
        float bt[K * N];
        for (int k = 0; k < K; k++)
            for (int j = 0; j < N; j++) bt[j * K + k] = fl_to_float(b.x[k * N + j]);
        for (int i = 0; i < M; i++) {
            float ar[K];
            for (int k = 0; k < K; k++) ar[k] = fl_to_float(a.x[i * K + k]);
            for (int j = 0; j < N; j++) {
                float acc = (float)c.x[i * N + j];
                for (int k = 0; k < K; k++) acc += ar[k] * bt[j * K + k];
                out[i * N + j] = acc;
            }
        }
    }
    fl_emu::sync_warp();
    for (int i = 0; i < M * N; i++) d.x[i] = (TC)out[i];
    fl_emu::sync_warp();
}
}  // namespace wmma
}  // namespace nvcuda

// ---------------------------------------------------------------------------------------------------------
// Kernel registry: FL_EXPORT(name) after a kernel makes it launchable by name through emu_launch.
// ---------------------------------------------------------------------------------------------------------
namespace fl_emu {
using Invoker = void (*)(void** args);
void register_kernel(const char* name, Invoker invoker);

template <typename... A, size_t... I>
inline void invoke_with(void (*f)(A...), void** args, std::index_sequence<I...>) {
    f(*reinterpret_cast<std::remove_cv_t<std::remove_reference_t<A>>*>(args[I])...);
}
template <typename... A>
inline void invoke(void (*f)(A...), void** args) {
    invoke_with(f, args, std::index_sequence_for<A...>{});
}
struct Registrar {
    Registrar(const char* name, Invoker invoker) { register_kernel(name, invoker); }
};
}  // namespace fl_emu

#define FL_EXPORT(kernel)                                                                          \
    static void fl_emu_invoke_##kernel(void** args) { ::fl_emu::invoke(&kernel, args); }           \
    static ::fl_emu::Registrar fl_emu_registrar_##kernel(#kernel, &fl_emu_invoke_##kernel);

#define FL_DYNAMIC_SMEM(type, name) type* name = reinterpret_cast<type*>(::fl_emu::dynamic_shared_memory())
