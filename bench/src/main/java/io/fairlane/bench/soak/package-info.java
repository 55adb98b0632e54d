/**
 * The soak: the real gateway, as its own JVM with the launcher's flags, under a long mixed load (several tenants,
 * streamed and whole answers, clients that leave mid-stream, an upstream that fails one request in a hundred, the
 * CPU engine beside it), sampled for memory as it runs and checked at the end for unexpected errors, leaked
 * buffers and work left behind. {@link io.fairlane.bench.soak.SoakBench} runs it ({@code bench/soak/run.sh});
 * {@link io.fairlane.bench.soak.SoakUpstream} is the failing upstream, {@link io.fairlane.bench.soak.SoakClient}
 * one client, {@link io.fairlane.bench.soak.GatewayProbe} what is read from the gateway.
 */
package io.fairlane.bench.soak;
