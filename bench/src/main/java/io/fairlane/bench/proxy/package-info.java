/**
 * The proxy-overhead benchmark's open-loop load generator ({@link io.fairlane.bench.proxy.FixedRate}), run by
 * {@code bench/proxy/run.sh} beside wrk and nginx.
 */
package io.fairlane.bench.proxy;
