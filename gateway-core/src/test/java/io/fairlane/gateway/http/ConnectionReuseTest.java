package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.util.ReferenceCountUtil;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A keep-alive connection takes its next request as soon as a response has ended, even while that request's
 * settlement (usage a local engine reports after the last byte) is still held. The next request must neither wait
 * for the settlement as if pipelined nor, when it streams its body (an upload), find the connection closed.
 */
class ConnectionReuseTest {

    private static final ServerConfig SERVER = new ConfigLoader(Map.of("HOME", "/nonexistent")).parse("""
            tenants:
              - {id: a, api_keys: ["%s"]}
            models:
              - id: m
                upstream: {url: "http://127.0.0.1:9/v1"}
            """.formatted(ApiKeyHash.of("sk-reuse")), "reuse").server();

    private final AtomicReference<Exchange> upload = new AtomicReference<>();
    private final AtomicReference<Runnable> release = new AtomicReference<>();
    private EmbeddedChannel channel;

    @BeforeEach
    void open() {
        Router router = new Router()
                .route(HttpMethod.POST, "/v1/held", e -> {
                    // Like a local completion: the settlement waits for usage that has not been reported yet.
                    release.set(e.holdSettlement());
                    e.respond(HttpResponseStatus.OK, Json.write(e.alloc(),
                            Json.MAPPER.createObjectNode().put("answer", "held")));
                })
                .route(HttpMethod.GET, "/v1/plain", e -> e.respond(HttpResponseStatus.OK, Json.write(e.alloc(),
                        Json.MAPPER.createObjectNode().put("answer", "plain"))))
                .routeStreaming(HttpMethod.POST, "/v1/upload", upload::set);
        channel = new EmbeddedChannel();
        new ConnectionPipeline(SERVER, new ConnectionGate(0, 0), new ConnectionEvents(ConnectionStats.NONE), router,
                new ServerState(), List.of()).init(channel);
    }

    @AfterEach
    void close() {
        channel.finishAndReleaseAll();
    }

    private void send(String request) {
        channel.writeInbound(Unpooled.copiedBuffer(request, StandardCharsets.ISO_8859_1));
        channel.runPendingTasks();
    }

    private String received() {
        StringBuilder out = new StringBuilder();
        Object o;
        while ((o = channel.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.ISO_8859_1));
            }
            ReferenceCountUtil.release(o);
        }
        return out.toString();
    }

    private void heldRequestAnswered() {
        send("POST /v1/held HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}");
        assertThat(received()).startsWith("HTTP/1.1 200 ").contains("\"answer\":\"held\"");
        assertThat(release.get()).as("the settlement is still held").isNotNull();
    }

    @Test
    void nextRequest_whileTheLastSettlementIsHeld_isAnsweredAtOnce() {
        heldRequestAnswered();

        send("GET /v1/plain HTTP/1.1\r\nHost: x\r\n\r\n");

        assertThat(received()).startsWith("HTTP/1.1 200 ").contains("\"answer\":\"plain\"");
        assertThat(channel.isOpen()).isTrue();
        release.get().run();
    }

    @Test
    void upload_whileTheLastSettlementIsHeld_isTakenNotClosed() throws Exception {
        heldRequestAnswered();

        send("POST /v1/upload HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n");

        assertThat(channel.isOpen()).as("the connection stays open for the upload").isTrue();
        Exchange e = upload.get();
        assertThat(e).as("the upload reached its handler").isNotNull();
        byte[] body = e.requestBody().stream().readAllBytes();
        e.respond(HttpResponseStatus.OK, Json.write(e.alloc(), Json.MAPPER.createObjectNode()
                .put("bytes", body.length)));
        channel.runPendingTasks();
        assertThat(received()).startsWith("HTTP/1.1 200 ").contains("\"bytes\":5");
        assertThat(channel.isOpen()).isTrue();
        release.get().run();
    }
}
