package io.fairlane.bench.soak;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OpenAI-compatible upstream for the soak that fails a share of requests on purpose: half of the failures a
 * 500 before anything is sent, half (of streams) a connection reset after a few chunks. It remembers which requests
 * it failed (by their {@code user} field, unique per request) so the load generator can tell an injected failure
 * from an unexpected one. Otherwise it streams {@code max_tokens} (at most 32) one-token chunks, a couple of
 * milliseconds apart, then a usage chunk and {@code [DONE]}, or answers one JSON completion. Thread-safe.
 */
final class SoakUpstream implements AutoCloseable {

    private static final Pattern USER = Pattern.compile("\"user\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern MAX_TOKENS = Pattern.compile("\"max_tokens\"\\s*:\\s*(\\d+)");
    private static final Pattern STREAM = Pattern.compile("\"stream\"\\s*:\\s*true");

    private final HttpServer server;
    private final double failureRatio;
    private final Set<String> failed = ConcurrentHashMap.newKeySet();
    private final AtomicLong requests = new AtomicLong();

    SoakUpstream(double failureRatio) throws IOException {
        this.failureRatio = failureRatio;
        System.setProperty("sun.net.httpserver.nodelay", "true");
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 1024);
        server.setExecutor(Executors.newVirtualThreadPerTaskExecutor());
        server.createContext("/v1/chat/completions", this::chat);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    long requests() {
        return requests.get();
    }

    /** Whether the request whose {@code user} was {@code user} was failed on purpose. */
    boolean failedOnPurpose(String user) {
        return failed.contains(user);
    }

    int failuresInjected() {
        return failed.size();
    }

    private void chat(HttpExchange exchange) throws IOException {
        requests.incrementAndGet();
        boolean cut = false;
        try {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Matcher user = USER.matcher(body);
            String id = user.find() ? user.group(1) : "";
            Matcher max = MAX_TOKENS.matcher(body);
            int tokens = Math.min(32, max.find() ? Integer.parseInt(max.group(1)) : 16);
            boolean stream = STREAM.matcher(body).find();
            ThreadLocalRandom random = ThreadLocalRandom.current();
            boolean fail = random.nextDouble() < failureRatio;
            if (fail && (!stream || random.nextBoolean())) {
                failed.add(id);
                send(exchange, 500, "application/json", "{\"error\":{\"message\":\"injected upstream failure\","
                        + "\"type\":\"server_error\",\"param\":null,\"code\":null}}");
                return;
            }
            if (!stream) {
                send(exchange, 200, "application/json", "{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion\","
                        + "\"created\":1,\"model\":\"soak\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
                        + "\"content\":\"" + "x ".repeat(tokens).strip() + "\"},\"finish_reason\":\"stop\"}],"
                        + "\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":" + tokens + ",\"total_tokens\":"
                        + (20 + tokens) + "}}");
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            event(out, "{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"soak\","
                    + "\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},"
                    + "\"finish_reason\":null}]}");
            int cutAt = fail ? random.nextInt(1, Math.max(2, tokens)) : -1;
            for (int i = 0; i < tokens; i++) {
                if (i == cutAt) {
                    failed.add(id);
                    cut = true;
                    // Out of the handler without closing the exchange: the server drops the connection without
                    // the body's last chunk, so the gateway sees the stream end in the middle.
                    throw new InjectedReset();
                }
                event(out, "{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion.chunk\",\"created\":1,"
                        + "\"model\":\"soak\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x \"},"
                        + "\"finish_reason\":null}]}");
                sleepMillis(2);
            }
            event(out, "{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"soak\","
                    + "\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
            event(out, "{\"id\":\"chatcmpl-soak\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"soak\","
                    + "\"choices\":[],\"usage\":{\"prompt_tokens\":20,\"completion_tokens\":" + tokens
                    + ",\"total_tokens\":" + (20 + tokens) + "}}");
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (IOException e) {
            // The gateway went away first (its client left): nothing to do.
        } finally {
            if (!cut) {
                exchange.close();
            }
        }
    }

    /** Thrown out of the handler so the exchange closes without its final chunk. */
    private static final class InjectedReset extends RuntimeException {
        private static final long serialVersionUID = 1L;

        InjectedReset() {
            super(null, null, false, false);
        }
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    private static void send(HttpExchange exchange, int status, String type, String body) throws IOException {
        byte[] b = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", type);
        exchange.sendResponseHeaders(status, b.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(b);
        }
    }

    private static void sleepMillis(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
