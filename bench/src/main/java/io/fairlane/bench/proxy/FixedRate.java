package io.fairlane.bench.proxy;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

/**
 * Fixed-rate HTTP/1.1 load generator for {@code bench/proxy/run.sh} (JDK only).
 *
 * <p>Debian ships wrk but not wrk2, and wrk drives a closed loop: each connection waits for its answer before
 * sending again, so a slow moment hides the requests that should have been sent during it ("coordinated
 * omission"). This tool sends open-loop at a fixed rate: request i is due at start + i / rate, and its latency
 * is counted from that due time, not from when a busy connection got round to sending it. Connections are
 * kept alive; responses are read completely (content-length or chunked), so a stream's latency is the time to
 * its last byte.
 *
 * <pre>
 * java -cp BENCH_CP io.fairlane.bench.proxy.FixedRate --url http://127.0.0.1:8080/v1/chat/completions \
 *      --rate 1000 --seconds 20 --warmup 5 --connections 32 --body '{...}' --header 'Authorization: Bearer sk-...'
 * </pre>
 *
 * <p>Prints one line: rate, sent, errors, p50/p90/p99/p99.9/max in microseconds.
 */
public final class FixedRate {

    public static void main(String[] args) throws Exception {
        String url = null, body = "";
        double rate = 1000;
        int seconds = 20, warmup = 5, connections = 32;
        List<String> headers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = args[++i];
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--connections" -> connections = Integer.parseInt(args[++i]);
                case "--body" -> body = args[++i];
                case "--header" -> headers.add(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        URI uri = URI.create(url);
        byte[] request = request(uri, body, headers);

        long period = (long) (1e9 / rate);
        long total = (long) (rate * (seconds + warmup));
        long warm = (long) (rate * warmup);
        long[] latencies = new long[(int) (total - warm)];
        AtomicLong next = new AtomicLong();
        AtomicInteger errors = new AtomicInteger();
        long start = System.nanoTime() + 100_000_000L;
        Thread[] workers = new Thread[connections];
        for (int w = 0; w < connections; w++) {
            workers[w] = Thread.ofPlatform().daemon().start(() -> {
                KeepAliveConnection connection = new KeepAliveConnection(uri);
                while (true) {
                    long i = next.getAndIncrement();
                    if (i >= total) {
                        break;
                    }
                    long due = start + i * period;
                    long wait;
                    while ((wait = due - System.nanoTime()) > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    long latency;
                    try {
                        connection.exchange(request);
                        latency = System.nanoTime() - due;
                    } catch (IOException e) {
                        errors.incrementAndGet();
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
        long[] ok = Arrays.stream(latencies).filter(l -> l >= 0).sorted().toArray();
        System.out.printf(Locale.ROOT, "rate=%.0f sent=%d errors=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f p999_us=%.0f max_us=%.0f%n",
                rate, latencies.length, errors.get(), pct(ok, 0.50), pct(ok, 0.90), pct(ok, 0.99), pct(ok, 0.999),
                ok.length == 0 ? 0 : ok[ok.length - 1] / 1e3);
    }

    /** One HTTP/1.1 request's bytes: a POST of {@code body} (JSON) when it is not empty, else a GET. */
    public static byte[] request(URI uri, String body, List<String> headers) {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        StringBuilder req = new StringBuilder();
        req.append(payload.length > 0 ? "POST " : "GET ").append(uri.getRawPath()).append(" HTTP/1.1\r\n");
        req.append("Host: ").append(uri.getHost()).append(':').append(uri.getPort()).append("\r\n");
        for (String h : headers) {
            req.append(h).append("\r\n");
        }
        if (payload.length > 0) {
            req.append("Content-Type: application/json\r\nContent-Length: ").append(payload.length).append("\r\n");
        }
        req.append("\r\n");
        byte[] head = req.toString().getBytes(StandardCharsets.ISO_8859_1);
        byte[] request = Arrays.copyOf(head, head.length + payload.length);
        System.arraycopy(payload, 0, request, head.length, payload.length);
        return request;
    }

    /** The {@code q} quantile of sorted nanoseconds, in microseconds. */
    public static double pct(long[] sorted, double q) {
        if (sorted.length == 0) {
            return 0;
        }
        return sorted[(int) Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)] / 1e3;
    }

    /** Reads one response; returns whether the connection may be reused. */
    public static boolean readResponse(InputStream in) throws IOException {
        String status = line(in);
        if (!status.startsWith("HTTP/1.1 200")) {
            throw new IOException("status " + status);
        }
        long length = -1;
        boolean chunked = false;
        boolean close = false;
        String h;
        while (!(h = line(in)).isEmpty()) {
            String lower = h.toLowerCase(Locale.ROOT);
            if (lower.startsWith("content-length:")) {
                length = Long.parseLong(lower.substring(15).trim());
            } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
                chunked = true;
            } else if (lower.startsWith("connection:") && lower.contains("close")) {
                close = true;
            }
        }
        if (chunked) {
            while (true) {
                long size = Long.parseLong(line(in).split(";")[0].trim(), 16);
                if (size == 0) {
                    while (!line(in).isEmpty()) {
                        // trailers
                    }
                    break;
                }
                skip(in, size);
                line(in);
            }
        } else if (length >= 0) {
            skip(in, length);
        }
        return !close;
    }

    private static void skip(InputStream in, long n) throws IOException {
        byte[] buf = new byte[8192];
        while (n > 0) {
            int r = in.read(buf, 0, (int) Math.min(buf.length, n));
            if (r < 0) {
                throw new IOException("closed mid-body");
            }
            n -= r;
        }
    }

    private static String line(InputStream in) throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) >= 0) {
            if (c == '\n') {
                int len = sb.length();
                if (len > 0 && sb.charAt(len - 1) == '\r') {
                    sb.setLength(len - 1);
                }
                return sb.toString();
            }
            sb.append((char) c);
        }
        throw new IOException("connection closed");
    }
}
