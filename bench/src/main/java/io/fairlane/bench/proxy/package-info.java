/**
 * The proxy-overhead benchmark's open-loop load generator ({@link io.fairlane.bench.proxy.FixedRate}), run by
 * {@code bench/proxy/run.sh} beside wrk and nginx, and the stream relay's JMH benchmark without sockets
 * ({@link io.fairlane.bench.proxy.StreamRelayBenchmark}, {@code bench/proxy/jmh.sh}; its sibling for unstreamed
 * answers sits in the relay's package, whose classes it reaches).
 */
package io.fairlane.bench.proxy;
