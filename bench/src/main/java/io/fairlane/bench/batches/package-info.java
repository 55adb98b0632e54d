/** Batch benchmarks: throughput against a fast stub upstream, and isolation beside interactive traffic. */
package io.fairlane.bench.batches;
