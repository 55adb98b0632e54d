/**
 * Structured outputs: JSON Schema grammar compile time, per-token mask time on a 150k-token vocabulary, and decode
 * throughput with a schema against unconstrained decoding ({@code bench/structured/run.sh}).
 */
package io.fairlane.bench.structured;
