/**
 * Load generators that measure a running gateway end to end: {@link io.fairlane.bench.gateway.EndToEndLoad} drives
 * it over HTTP with two tenants and measures the same workload on the engine API directly, for
 * {@code bench/gpu/e2e.sh} (the GPU runbook's {@code e2e} phase, which also rehearses on the CPU).
 */
package io.fairlane.bench.gateway;
