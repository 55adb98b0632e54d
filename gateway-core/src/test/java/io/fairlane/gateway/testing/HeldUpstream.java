package io.fairlane.gateway.testing;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An upstream that holds every chat request until the test releases it, oldest first, and records the
 * order in which requests arrived (by the body's {@code user} field). Behind an upstream lane this shows
 * the lane scheduler's dispatch order without any timing: release one request, and exactly one slot frees
 * and exactly one queued request arrives. Answers carry no usage, so the lane settles each request at its
 * estimated prompt and no output, the same for every tenant.
 *
 * <p>Thread-safe: one virtual thread per request; state under this object's monitor.
 */
public final class HeldUpstream implements AutoCloseable {

    private static final Pattern USER = Pattern.compile("\"user\"\\s*:\\s*\"([^\"]*)\"");
    private static final byte[] ANSWER = """
            {"id":"chatcmpl-held","object":"chat.completion","created":1,"model":"held",
             "choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}"""
            .getBytes(StandardCharsets.UTF_8);
    private static final Duration WAIT = Duration.ofSeconds(20);

    static {
        // The JDK server writes headers and body separately; with Nagle on, each answer would wait for the
        // gateway's delayed ACK (about 40 ms on Linux). Read once, when the server classes load.
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }

    private final HttpServer server;
    private final List<String> arrivals = new ArrayList<>();
    private final Deque<CountDownLatch> held = new ArrayDeque<>();
    private boolean closed;

    public HeldUpstream() throws IOException {
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 64);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::serve);
        server.start();
    }

    public int port() {
        return server.getAddress().getPort();
    }

    private void serve(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Matcher m = USER.matcher(body);
            CountDownLatch release = new CountDownLatch(1);
            synchronized (this) {
                arrivals.add(m.find() ? m.group(1) : "");
                if (closed) {
                    release.countDown();
                } else {
                    held.addLast(release);
                }
                notifyAll();
            }
            release.await(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, ANSWER.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(ANSWER);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The {@code user} of every request so far, in arrival order. */
    public synchronized List<String> arrivals() {
        return List.copyOf(arrivals);
    }

    /** Waits until {@code n} requests have arrived in all; fails after a generous liveness timeout. */
    public void awaitArrivals(int n) throws InterruptedException {
        awaitState(() -> arrivals.size() >= n, n + " arrivals");
    }

    /** Lets the oldest held request answer. */
    public void releaseOldest() {
        CountDownLatch l;
        synchronized (this) {
            l = held.pollFirst();
        }
        if (l == null) {
            throw new IllegalStateException("no request is held");
        }
        l.countDown();
    }

    private synchronized void awaitState(BooleanSupplier condition, String what) throws InterruptedException {
        long end = System.nanoTime() + WAIT.toNanos();
        while (!condition.getAsBoolean()) {
            long left = end - System.nanoTime();
            if (left <= 0) {
                throw new IllegalStateException("timed out waiting for " + what + "; arrivals so far " + arrivals);
            }
            TimeUnit.NANOSECONDS.timedWait(this, left);
        }
    }

    @Override
    public void close() {
        synchronized (this) {
            closed = true;
            held.forEach(CountDownLatch::countDown);
            held.clear();
        }
        server.stop(0);
    }
}
