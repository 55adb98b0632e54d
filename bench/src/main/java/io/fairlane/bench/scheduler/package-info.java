/**
 * The scheduler's benchmarks: the cost of one decision with many tenants ({@link
 * io.fairlane.bench.scheduler.SchedulerDecisionBenchmark}, JMH, run by {@code bench/scheduler/jmh.sh}; {@link
 * io.fairlane.bench.scheduler.DecisionCpuCost}, its thread-CPU-time companion for shared machines, run by
 * {@code bench/scheduler/cpu-cost.sh}), and fairness end to end through the real gateway ({@link
 * io.fairlane.bench.scheduler.E2eGatewayBench}, stub upstream and load generator in one, run by
 * {@code bench/scheduler/e2e-gateway.sh}).
 */
package io.fairlane.bench.scheduler;
