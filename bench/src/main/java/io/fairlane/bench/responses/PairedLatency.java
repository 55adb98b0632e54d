package io.fairlane.bench.responses;

import io.fairlane.bench.proxy.FixedRate;
import io.fairlane.bench.proxy.KeepAliveConnection;
import java.io.IOException;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.IntStream;

/**
 * Open-loop, fixed-rate latency of two requests that should cost the same, sent alternately to one server:
 * request i goes to the first endpoint when i is even and to the second when it is odd, and its latency is
 * counted from its due time (as {@link FixedRate} does). Interleaving rather than running one after the other
 * is the point: on a shared machine the noise of the moment lands on both endpoints equally, so the difference
 * of their percentiles is the second endpoint's own added cost.
 *
 * <pre>
 * java -cp BENCH_CP io.fairlane.bench.responses.PairedLatency --base http://127.0.0.1:8080 \
 *      --a /v1/chat/completions --a-body '{...}' --b /v1/responses --b-body '{...}' \
 *      --rate 200 --seconds 20 --warmup 5 --connections 16 --header 'Authorization: Bearer sk-...'
 * </pre>
 *
 * <p>Prints one line of key=value pairs: requests and errors per endpoint, p50/p90/p99 of each in microseconds,
 * and the added p50 and p99 (second minus first). Responses are read to their last byte; anything but a 200 is
 * an error.
 */
public final class PairedLatency {

    public static void main(String[] args) throws Exception {
        String base = null, a = null, aBody = "", b = null, bBody = "";
        double rate = 200;
        int seconds = 20, warmup = 5, connections = 16;
        List<String> headers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--base" -> base = args[++i];
                case "--a" -> a = args[++i];
                case "--a-body" -> aBody = args[++i];
                case "--b" -> b = args[++i];
                case "--b-body" -> bBody = args[++i];
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--connections" -> connections = Integer.parseInt(args[++i]);
                case "--header" -> headers.add(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        if (base == null || a == null || b == null) {
            throw new IllegalArgumentException("--base, --a and --b are required");
        }
        URI uriA = URI.create(base + a);
        URI uriB = URI.create(base + b);
        byte[][] requests = {FixedRate.request(uriA, aBody, headers), FixedRate.request(uriB, bBody, headers)};

        long period = (long) (1e9 / rate);
        long total = (long) (rate * (seconds + warmup)) & ~1L;
        long warm = (long) (rate * warmup) & ~1L;
        long[] latencies = new long[(int) (total - warm)];
        AtomicLong next = new AtomicLong();
        AtomicInteger[] errors = {new AtomicInteger(), new AtomicInteger()};
        long start = System.nanoTime() + 100_000_000L;
        Thread[] workers = new Thread[connections];
        for (int w = 0; w < connections; w++) {
            workers[w] = Thread.ofPlatform().daemon().start(() -> {
                KeepAliveConnection connection = new KeepAliveConnection(uriA);
                while (true) {
                    long i = next.getAndIncrement();
                    if (i >= total) {
                        break;
                    }
                    int kind = (int) (i & 1);
                    long due = start + i * period;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    long latency;
                    try {
                        connection.exchange(requests[kind]);
                        latency = System.nanoTime() - due;
                    } catch (IOException e) {
                        if (errors[kind].incrementAndGet() == 1) {
                            System.err.println("endpoint " + (kind == 0 ? "a" : "b") + ": " + e.getMessage());
                        }
                        latency = -1;
                    }
                    if (i >= warm) {
                        latencies[(int) (i - warm)] = latency;
                    }
                }
            });
        }
        for (Thread t : workers) {
            t.join();
        }
        long[][] sorted = new long[2][];
        for (int kind = 0; kind < 2; kind++) {
            int k = kind;
            // warm is even, so index parity is request parity
            sorted[kind] = IntStream.range(0, latencies.length).filter(j -> (j & 1) == k)
                    .mapToLong(j -> latencies[j]).filter(l -> l >= 0).sorted().toArray();
        }
        System.out.printf(Locale.ROOT, "rate=%.0f sent=%d a_errors=%d b_errors=%d a_p50_us=%.0f a_p90_us=%.0f a_p99_us=%.0f "
                        + "b_p50_us=%.0f b_p90_us=%.0f b_p99_us=%.0f added_p50_us=%.0f added_p99_us=%.0f%n",
                rate, latencies.length, errors[0].get(), errors[1].get(),
                FixedRate.pct(sorted[0], 0.50), FixedRate.pct(sorted[0], 0.90), FixedRate.pct(sorted[0], 0.99),
                FixedRate.pct(sorted[1], 0.50), FixedRate.pct(sorted[1], 0.90), FixedRate.pct(sorted[1], 0.99),
                FixedRate.pct(sorted[1], 0.50) - FixedRate.pct(sorted[0], 0.50),
                FixedRate.pct(sorted[1], 0.99) - FixedRate.pct(sorted[0], 0.99));
        System.exit(errors[0].get() + errors[1].get() == 0 ? 0 : 1);
    }
}
