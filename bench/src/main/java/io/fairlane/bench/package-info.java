/**
 * Fairlane's benchmarks and load generators, one place for all of them: this module is compiled by the normal build
 * (so a benchmark breaks the build when the code it measures changes) but is never on a production classpath.
 * Each is run by a script under {@code bench/}; figures and commands are in {@code docs/benchmarks.md}.
 *
 * <p>Benchmarks that need only public API live under {@code io.fairlane.bench} ({@code engine}, {@code gateway},
 * {@code proxy}, {@code scheduler}, {@code tokenizer}); the few that measure package-private internals sit in the
 * package they measure ({@code io.fairlane.engine.cpu.MatmulKernelBench}, {@code io.fairlane.engine.cuda.GpuBenchmark}
 * and {@code DumpLogits}), which works because Fairlane runs on the classpath, not as JPMS modules.
 */
package io.fairlane.bench;
