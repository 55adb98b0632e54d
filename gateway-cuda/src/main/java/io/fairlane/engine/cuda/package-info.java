/**
 * The CUDA backend's machinery: the driver API through JCuda ({@link io.fairlane.engine.cuda.CudaDevice}:
 * context, memory, modules, launches, streams, events, graphs), cuBLAS through {@code java.lang.foreign}
 * ({@link io.fairlane.engine.cuda.Cublas}), the project's own kernels ({@code src/main/cuda/*.cu}, launched
 * through {@link io.fairlane.engine.cuda.Kernels}), device weights, the paged KV pool on the device and the
 * forward pass with on-device sampling ({@link io.fairlane.engine.cuda.CudaModelRunner}).
 *
 * <p>{@link io.fairlane.engine.cuda.CudaProbe} answers whether a usable device is present without ever
 * crashing the JVM on machines without a driver. The design, the memory plan and what has been verified where
 * are in {@code docs/cuda.md}.
 */
package io.fairlane.engine.cuda;
