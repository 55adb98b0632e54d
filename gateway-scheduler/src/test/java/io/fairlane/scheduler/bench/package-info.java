/**
 * Cost of a scheduling decision with many tenants: a JMH benchmark and a thread-CPU-time companion for
 * shared machines. Run through {@code bench/scheduler/jmh.sh} and {@code bench/scheduler/cpu-cost.sh}.
 */
package io.fairlane.scheduler.bench;
