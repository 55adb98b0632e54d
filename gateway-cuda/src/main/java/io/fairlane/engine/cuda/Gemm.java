package io.fairlane.engine.cuda;

/**
 * The linear layers' matrix product, y[m, n] = x[m, k] . w[n, k]^T (bf16 operands, f32 accumulation, bf16 or f32
 * result), on the device's stream. cuBLAS when a libcublas is found, else the project's tensor-core kernel.
 */
sealed interface Gemm extends AutoCloseable permits Gemm.CublasGemm, Gemm.KernelGemm {

    void matmul(long x, long w, long y, int m, int n, int k, boolean outF32);

    /** For logs: which implementation, and from where. */
    String describe();

    @Override
    void close();

    /** Through cuBLAS (cublasGemmEx, default algorithm selection). */
    record CublasGemm(Cublas cublas, long workspace, DeviceRuntime device) implements Gemm {
        @Override
        public void matmul(long x, long w, long y, int m, int n, int k, boolean outF32) {
            cublas.matmulTransposedB(x, w, y, m, n, k, outF32);
        }

        @Override
        public String describe() {
            return cublas.describe();
        }

        @Override
        public void close() {
            cublas.close();
            device.free(workspace);
        }
    }

    /** Through gemm_bf16_tn (src/main/cuda/gemm.cu): correct everywhere, slower than cuBLAS. */
    record KernelGemm(Kernels kernels) implements Gemm {
        @Override
        public void matmul(long x, long w, long y, int m, int n, int k, boolean outF32) {
            kernels.gemm(x, w, y, m, n, k, outF32);
        }

        @Override
        public String describe() {
            return "Fairlane tensor-core GEMM kernel (no libcublas found)";
        }

        @Override
        public void close() {
        }
    }
}
