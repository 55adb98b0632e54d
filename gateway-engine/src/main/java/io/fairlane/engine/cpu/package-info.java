/**
 * The CPU forward pass: {@link io.fairlane.engine.cpu.CpuModelRunner} runs batched steps over a paged KV cache
 * with Vector API matmuls split over a fixed pool of worker threads ({@link io.fairlane.engine.cpu.WorkerPool}).
 * bf16 linear layers and the output matrix are repacked once, at load, into off-heap panels for the
 * outer-product kernels of {@link io.fairlane.engine.cpu.PanelKernels}; f32 weights (and f16, widened at load) are
 * read row-major by {@link io.fairlane.engine.cpu.VectorKernels}, and the embedding straight from the
 * memory-mapped file ({@link io.fairlane.engine.cpu.CpuWeights}). {@link io.fairlane.engine.cpu.ScalarReference}
 * is the plain double-precision oracle the tests hold it to. {@link io.fairlane.engine.exec.CpuBackend} wraps the runner behind the backend seam.
 */
package io.fairlane.engine.cpu;
