/**
 * The engine's benchmarks: CPU decode throughput and memory bandwidth ({@link io.fairlane.bench.engine.CpuBench},
 * {@code bench/cpu/run.sh}); prefix cache, continuous batching and two-tenant fairness through the HTTP API
 * ({@link io.fairlane.bench.engine.EngineBench}, {@code bench/engine/run-http.sh}) and through the engine API
 * in-process ({@link io.fairlane.bench.engine.EngineApiBench}, {@code bench/engine/run-engine-api.sh}).
 */
package io.fairlane.bench.engine;
