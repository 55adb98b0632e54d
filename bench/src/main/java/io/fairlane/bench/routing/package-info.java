/**
 * Routing benchmarks: the cost of one routing decision at many targets (JMH), and what failover and shadow
 * traffic cost a client end to end through a running gateway ({@link io.fairlane.bench.routing.RoutingLatencyBench}).
 * Run with {@code bench/routing/run.sh}; results in {@code docs/benchmarks.md}.
 */
package io.fairlane.bench.routing;
