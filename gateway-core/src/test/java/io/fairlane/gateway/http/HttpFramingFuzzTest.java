package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.ServerConfig;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.UnpooledByteBufAllocator;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The connection's real pipeline ({@link ConnectionPipeline}: timeouts, codec, body guard, aggregator,
 * dispatcher) on an {@code EmbeddedChannel}, fed any bytes cut into pieces at any points, as a network would
 * deliver them. Whatever arrives: no exception escapes the pipeline, no answer is a 5xx, every error answer
 * carries an OpenAI error body, and once the connection is closed every buffer it allocated has been released
 * (the channel's own allocator counts them, so a leak is caught on the input that caused it).
 */
class HttpFramingFuzzTest {

    private static final Pattern STATUS = Pattern.compile("HTTP/1\\.1 (\\d{3}) ");
    private static final ServerConfig SERVER = new ConfigLoader(Map.of("HOME", "/nonexistent")).parse("""
            server:
              limits: {max_body_size: 4KiB, max_header_size: 1KiB, max_uri_length: 256}
            tenants:
              - {id: a, api_keys: ["%s"]}
            models:
              - id: m
                upstream: {url: "http://127.0.0.1:9/v1"}
            """.formatted(ApiKeyHash.of("sk-fuzz")), "fuzz").server();
    private static final Router ROUTER = new Router()
            .route(HttpMethod.GET, "/health/live", e -> e.respond(HttpResponseStatus.OK,
                    Json.write(e.alloc(), Json.MAPPER.createObjectNode().put("status", "live"))))
            .route(HttpMethod.POST, "/v1/echo", e -> e.respond(HttpResponseStatus.OK,
                    Json.write(e.alloc(), Json.MAPPER.createObjectNode().put("bytes", e.body().readableBytes()))));

    @FuzzTest
    void anyBytesCutAnywhere_answeredWithoutA5xxOrALeak(FuzzedDataProvider data) {
        int[] cuts = new int[data.consumeInt(0, 8)];
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = data.consumeInt(0, 8192);
        }
        byte[] bytes = data.consumeRemainingAsBytes();
        for (int i = 0; i < cuts.length; i++) {
            cuts[i] = Math.min(cuts[i], bytes.length);
        }
        Arrays.sort(cuts);

        UnpooledByteBufAllocator alloc = new UnpooledByteBufAllocator(false);
        EmbeddedChannel ch = new EmbeddedChannel();
        ch.config().setAllocator(alloc);
        ConnectionPipeline pipeline = new ConnectionPipeline(SERVER, new ConnectionGate(0, 0),
                new ConnectionEvents(ConnectionStats.NONE), ROUTER, new ServerState(), List.of());
        pipeline.init(ch);
        StringBuilder out = new StringBuilder();
        int from = 0;
        for (int i = 0; i <= cuts.length && ch.isOpen(); i++) {
            int to = i < cuts.length ? cuts[i] : bytes.length;
            ByteBuf piece = alloc.heapBuffer(to - from);
            piece.writeBytes(bytes, from, to - from);
            ch.writeInbound(piece);
            ch.runPendingTasks();
            drain(ch, out);
            from = to;
        }
        ch.close();
        ch.runPendingTasks();
        drain(ch, out);
        ch.finishAndReleaseAll();
        ch.checkException();

        Matcher m = STATUS.matcher(out);
        while (m.find()) {
            int status = Integer.parseInt(m.group(1));
            assertThat(status).as("answer to %s", printable(bytes)).isLessThan(500);
            if (status >= 400) {
                assertThat(out.indexOf("{\"error\":{\"message\":", m.end())).as("an error body").isPositive();
            }
        }
        assertThat(alloc.metric().usedHeapMemory() + alloc.metric().usedDirectMemory())
                .as("bytes still allocated after %s", printable(bytes)).isZero();
    }

    private static void drain(EmbeddedChannel ch, StringBuilder out) {
        Object o;
        while ((o = ch.readOutbound()) != null) {
            if (o instanceof ByteBuf b) {
                out.append(b.toString(StandardCharsets.ISO_8859_1));
            }
            io.netty.util.ReferenceCountUtil.release(o);
        }
    }

    private static String printable(byte[] bytes) {
        String s = new String(bytes, 0, Math.min(bytes.length, 200), StandardCharsets.ISO_8859_1);
        return s.replaceAll("[^\\x20-\\x7e]", "?");
    }
}
