/**
 * The CPU forward pass: {@link io.fairlane.engine.cpu.CpuModelRunner} runs batched steps over a paged KV cache
 * with Vector API matmuls that read bf16/f32 weights straight from the memory-mapped files, split over a fixed
 * pool of worker threads; {@link io.fairlane.engine.cpu.ScalarReference} is the plain double-precision oracle the
 * tests hold it to. {@link io.fairlane.engine.exec.CpuBackend} wraps the runner behind the backend seam.
 */
package io.fairlane.engine.cpu;
