/**
 * The CUDA backend, in its own module so that CPU-only and upstream-only deployments need neither JCuda nor its
 * native libraries. {@link io.fairlane.engine.cuda.CudaBackend} implements the engine's
 * {@link io.fairlane.engine.exec.ExecutionBackend}; {@link io.fairlane.engine.cuda.CudaBackendProvider} registers it
 * with {@link java.util.ServiceLoader} under the name {@code cuda}.
 *
 * <p>The machinery behind it: the driver API through JCuda ({@link io.fairlane.engine.cuda.CudaDevice}:
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
