package io.fairlane.bench.eventloop;

// Load for bench/eventloop/run.sh (JDK only; `bench/run.sh io.fairlane.bench.eventloop.EventLoopBench MODE ...`).
//
// Two roles, run as separate processes so that neither steals the other's threads:
//
//   light  short chat requests at a fixed rate, open loop: request i is due at start + i / rate and its latency
//          is counted from that due time, so a stalled gateway cannot hide the requests it delayed
//          ("coordinated omission"). Prints one line: sent, errors, p50/p90/p99/max in milliseconds.
//   heavy  large chat requests (--size bytes of prompt text) back to back on each of --connections
//          keep-alive connections until killed or --seconds pass. Prints requests sent and their statuses.
//
//   java EventLoopBench.java light --url http://127.0.0.1:8080/v1/chat/completions --key sk-... \
//        --model fairlane-tiny --rate 20 --seconds 30 --warmup 5 --connections 4
//   java EventLoopBench.java heavy --url ... --key sk-... --model fairlane-tiny --size 1500000 --connections 2
//
// Responses are read completely (content-length); only non-streamed requests are sent.

import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;

public final class EventLoopBench {

    public static void main(String[] args) throws Exception {
        String mode = args.length > 0 ? args[0] : "";
        String url = null, key = "", model = "fairlane-tiny";
        double rate = 20;
        int seconds = 30, warmup = 5, connections = 4, size = 1_500_000, maxTokens = 4;
        for (int i = 1; i < args.length; i++) {
            switch (args[i]) {
                case "--url" -> url = args[++i];
                case "--key" -> key = args[++i];
                case "--model" -> model = args[++i];
                case "--rate" -> rate = Double.parseDouble(args[++i]);
                case "--seconds" -> seconds = Integer.parseInt(args[++i]);
                case "--warmup" -> warmup = Integer.parseInt(args[++i]);
                case "--connections" -> connections = Integer.parseInt(args[++i]);
                case "--size" -> size = Integer.parseInt(args[++i]);
                case "--max-tokens" -> maxTokens = Integer.parseInt(args[++i]);
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        URI uri = URI.create(url);
        switch (mode) {
            case "light" -> light(uri, key, model, maxTokens, rate, seconds, warmup, connections);
            case "heavy" -> heavy(uri, key, model, size, seconds, connections);
            default -> throw new IllegalArgumentException("mode must be light or heavy, was '" + mode + "'");
        }
    }

    private static void light(URI uri, String key, String model, int maxTokens, double rate, int seconds, int warmup,
                              int connections) throws Exception {
        byte[] request = request(uri, key, "{\"model\":\"" + model + "\",\"messages\":[{\"role\":\"user\",\"content\":"
                + "\"Say hello to the event loop.\"}],\"max_tokens\":" + maxTokens + "}");
        long intervalNanos = (long) (1e9 / rate);
        int total = (int) Math.round(rate * (warmup + seconds));
        int measuredFrom = (int) Math.round(rate * warmup);
        long[] latencies = new long[total];
        Arrays.fill(latencies, -1);
        AtomicInteger next = new AtomicInteger();
        AtomicInteger errors = new AtomicInteger();
        long start = System.nanoTime() + 50_000_000;
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Connection conn = null;
                while (true) {
                    int i = next.getAndIncrement();
                    if (i >= total) {
                        break;
                    }
                    long due = start + i * intervalNanos;
                    long wait = due - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    try {
                        if (conn == null) {
                            conn = new Connection(uri);
                        }
                        int status = conn.exchange(request);
                        if (status != 200) {
                            errors.incrementAndGet();
                        }
                        latencies[i] = System.nanoTime() - due;
                    } catch (IOException e) {
                        errors.incrementAndGet();
                        if (conn != null) {
                            conn.close();
                        }
                        conn = null;
                    }
                }
                if (conn != null) {
                    conn.close();
                }
            }));
        }
        for (Thread t : threads) {
            t.join();
        }
        long[] measured = Arrays.stream(latencies, measuredFrom, total).filter(l -> l >= 0).sorted().toArray();
        System.out.printf(Locale.ROOT,
                "sent=%d errors=%d rate=%.0f/s p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f%n",
                measured.length, errors.get(), rate, pct(measured, 0.50), pct(measured, 0.90), pct(measured, 0.99),
                measured.length == 0 ? Double.NaN : measured[measured.length - 1] / 1e6);
    }

    private static void heavy(URI uri, String key, String model, int size, int seconds, int connections)
            throws Exception {
        // Words drawn from a fixed list: text a tokenizer works through as it would through a real document.
        String[] words = ("the quick brown fox jumps over lazy dogs while seven wizards quietly judge boxing "
                + "matches near ancient rivers and modern cities full of curious people writing long letters")
                .split(" ");
        Random random = new Random(7);
        StringBuilder text = new StringBuilder(size + 16);
        while (text.length() < size) {
            text.append(words[random.nextInt(words.length)]).append(random.nextInt(12) == 0 ? ". " : " ");
        }
        byte[] request = request(uri, key, "{\"model\":\"" + model
                + "\",\"messages\":[{\"role\":\"user\",\"content\":\"" + text + "\"}],\"max_tokens\":4}");
        long end = System.nanoTime() + seconds * 1_000_000_000L;
        Map<Integer, AtomicInteger> statuses = new ConcurrentHashMap<>();
        AtomicLong sent = new AtomicLong();
        AtomicLong nanos = new AtomicLong();
        List<Thread> threads = new ArrayList<>();
        for (int c = 0; c < connections; c++) {
            threads.add(Thread.ofPlatform().start(() -> {
                Connection conn = null;
                while (System.nanoTime() < end) {
                    try {
                        if (conn == null) {
                            conn = new Connection(uri);
                        }
                        long t0 = System.nanoTime();
                        int status = conn.exchange(request);
                        nanos.addAndGet(System.nanoTime() - t0);
                        sent.incrementAndGet();
                        statuses.computeIfAbsent(status, s -> new AtomicInteger()).incrementAndGet();
                    } catch (IOException e) {
                        statuses.computeIfAbsent(-1, s -> new AtomicInteger()).incrementAndGet();
                        if (conn != null) {
                            conn.close();
                        }
                        conn = null;
                    }
                }
                if (conn != null) {
                    conn.close();
                }
            }));
        }
        Runtime.getRuntime().addShutdownHook(new Thread(() -> System.out.printf(Locale.ROOT,
                "heavy requests=%d body_bytes=%d mean_ms=%.1f statuses=%s%n", sent.get(), request.length,
                sent.get() == 0 ? Double.NaN : nanos.get() / 1e6 / sent.get(), new TreeMap<>(statuses))));
        for (Thread t : threads) {
            t.join();
        }
    }

    private static double pct(long[] sorted, double p) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(p * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
    }

    private static byte[] request(URI uri, String key, String body) {
        byte[] payload = body.getBytes(StandardCharsets.UTF_8);
        String head = "POST " + uri.getRawPath() + " HTTP/1.1\r\nHost: " + uri.getHost() + ":" + uri.getPort()
                + "\r\nAuthorization: Bearer " + key + "\r\nContent-Type: application/json\r\nContent-Length: "
                + payload.length + "\r\n\r\n";
        byte[] h = head.getBytes(StandardCharsets.US_ASCII);
        byte[] all = Arrays.copyOf(h, h.length + payload.length);
        System.arraycopy(payload, 0, all, h.length, payload.length);
        return all;
    }

    /** One keep-alive HTTP/1.1 connection; reads each response completely by its content-length. */
    private static final class Connection {
        private final Socket socket;
        private final OutputStream out;
        private final InputStream in;

        Connection(URI uri) throws IOException {
            socket = new Socket();
            socket.setTcpNoDelay(true);
            socket.connect(new InetSocketAddress(uri.getHost(), uri.getPort()), 5000);
            socket.setSoTimeout(120_000);
            out = socket.getOutputStream();
            in = new BufferedInputStream(socket.getInputStream(), 64 * 1024);
        }

        int exchange(byte[] request) throws IOException {
            out.write(request);
            out.flush();
            String status = line();
            if (status == null || !status.startsWith("HTTP/1.1 ")) {
                throw new IOException("bad status line: " + status);
            }
            int code = Integer.parseInt(status.substring(9, 12));
            long length = -1;
            boolean close = false;
            for (String h; (h = line()) != null && !h.isEmpty(); ) {
                String lower = h.toLowerCase(Locale.ROOT);
                if (lower.startsWith("content-length:")) {
                    length = Long.parseLong(lower.substring(15).trim());
                } else if (lower.startsWith("connection:") && lower.contains("close")) {
                    close = true;
                }
            }
            if (length < 0) {
                throw new IOException("response without content-length");
            }
            in.skipNBytes(length);
            if (close) {
                throw new IOException("server closed the connection");
            }
            return code;
        }

        private String line() throws IOException {
            StringBuilder sb = new StringBuilder();
            for (int b; (b = in.read()) != -1; ) {
                if (b == '\n') {
                    int n = sb.length();
                    return n > 0 && sb.charAt(n - 1) == '\r' ? sb.substring(0, n - 1) : sb.toString();
                }
                sb.append((char) b);
            }
            return sb.isEmpty() ? null : sb.toString();
        }

        void close() {
            try {
                socket.close();
            } catch (IOException e) {
                // closing anyway
            }
        }
    }
}
