package io.fairlane.engine.cuda;

/**
 * A CUDA driver, cuBLAS or kernel-launch failure. The message names the call, the library's status name and
 * what Fairlane was doing, e.g. {@code cuMemAlloc(2147483648 bytes for KV pool) failed: CUDA_ERROR_OUT_OF_MEMORY
 * (out of memory)}.
 */
public final class CudaException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final int status;

    public CudaException(String message, int status) {
        super(message);
        this.status = status;
    }

    public CudaException(String message, Throwable cause) {
        super(message, cause);
        this.status = -1;
    }

    /** The library's status code (a CUresult or cublasStatus_t), or -1 when none applies. */
    public int status() {
        return status;
    }
}
