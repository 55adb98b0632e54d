package io.fairlane.gateway.deploy;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An OpenAI-compatible upstream for the Prometheus integration test: {@code POST /v1/chat/completions}
 * answers a short streamed (or plain) completion with usage. A request whose {@code user} is {@code slow}
 * waits {@code slowStart} before answering, which is how one tenant misses its TTFT SLO.
 */
final class StubUpstream implements AutoCloseable {

    private static final Pattern USER = Pattern.compile("\"user\"\\s*:\\s*\"([^\"]*)\"");
    private static final Pattern STREAM = Pattern.compile("\"stream\"\\s*:\\s*true");
    private static final String CHUNK = "{\"id\":\"chatcmpl-stub\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1727346172,\"model\":\"stub-model\",\"choices\":[{\"index\":0,\"delta\":%s,"
            + "\"logprobs\":null,\"finish_reason\":%s}]}";
    private static final String USAGE = "{\"id\":\"chatcmpl-stub\",\"object\":\"chat.completion.chunk\","
            + "\"created\":1727346172,\"model\":\"stub-model\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,"
            + "\"completion_tokens\":3,\"total_tokens\":15,\"prompt_tokens_details\":{\"cached_tokens\":8}}}";
    private static final String PLAIN = "{\"id\":\"chatcmpl-stub\",\"object\":\"chat.completion\","
            + "\"created\":1727346172,\"model\":\"stub-model\",\"choices\":[{\"index\":0,\"message\":{\"role\":"
            + "\"assistant\",\"content\":\"Hello there\",\"refusal\":null},\"logprobs\":null,\"finish_reason\":"
            + "\"stop\"}],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}";

    private final HttpServer server;
    private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();
    private final Duration slowStart;

    StubUpstream(Duration slowStart) throws IOException {
        this.slowStart = slowStart;
        server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        server.createContext("/v1/chat/completions", this::chat);
        server.setExecutor(executor);
        server.start();
    }

    int port() {
        return server.getAddress().getPort();
    }

    private void chat(HttpExchange exchange) throws IOException {
        try (exchange) {
            String body = new String(exchange.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            Matcher user = USER.matcher(body);
            if (user.find() && user.group(1).equals("slow")) {
                Thread.sleep(slowStart.toMillis());
            }
            if (!STREAM.matcher(body).find()) {
                byte[] plain = PLAIN.getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().set("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, plain.length);
                exchange.getResponseBody().write(plain);
                return;
            }
            exchange.getResponseHeaders().set("Content-Type", "text/event-stream");
            exchange.sendResponseHeaders(200, 0);
            OutputStream out = exchange.getResponseBody();
            event(out, CHUNK.formatted("{\"role\":\"assistant\",\"content\":\"\"}", "null"));
            for (String piece : new String[] {"Hel", "lo", " there"}) {
                Thread.sleep(5);
                event(out, CHUNK.formatted("{\"content\":\"" + piece + "\"}", "null"));
            }
            event(out, CHUNK.formatted("{}", "\"stop\""));
            event(out, USAGE);
            out.write("data: [DONE]\n\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void event(OutputStream out, String json) throws IOException {
        out.write(("data: " + json + "\n\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
    }
}
