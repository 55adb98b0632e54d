/**
 * Load generators that measure a running gateway end to end (not tests): {@link
 * io.fairlane.gateway.bench.EndToEndLoad} drives it over HTTP with two tenants and measures the same workload on
 * the engine API directly, for bench/gpu/e2e.sh. Kept with the test sources so the build compiles them and the GPU
 * bundle carries them.
 */
package io.fairlane.gateway.bench;
