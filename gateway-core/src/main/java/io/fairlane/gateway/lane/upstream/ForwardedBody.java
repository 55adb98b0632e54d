package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Headers;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.lane.routing.ModelRouter;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.util.AsciiString;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The request an upstream target receives: the client's JSON with only {@code model} renamed (when the target
 * renames it) and, on streams, usage asked for ({@code stream_options.include_usage}) so that tokens can be
 * metered. When nothing changes the client's bytes go upstream untouched. A rewritten body is serialised once per
 * model name; for a large body that happens in the preparation pool ({@link #prepare}) before the request is
 * queued, so the event loop only sends bytes.
 *
 * <p>Confined to the exchange's event loop, but for the serialisation {@link #prepare} hands to the pool, which
 * runs while nothing else touches the tree.
 */
final class ForwardedBody {

    private final Exchange exchange;
    private final ObjectNode tree;
    private final String clientModel;
    private final String path;
    private final boolean stream;
    private ModelRouter.Preference preference;
    private Signer signer;
    private Routing routing;
    private boolean routingTokenises;
    private boolean changed;
    private boolean usageSpliced;
    private String serialisedFor;
    private byte[] serialised;

    /**
     * @param tree   the client's body, parsed (rewritten in place when it must change)
     * @param path   the endpoint's path below the target's base path ({@code /chat/completions}, ...)
     * @param stream whether the client asked for a stream
     */
    ForwardedBody(Exchange exchange, ObjectNode tree, String path, boolean stream) {
        this.exchange = exchange;
        this.tree = tree;
        this.clientModel = tree.path("model").asText();
        this.path = path;
        this.stream = stream;
        // The client's bytes go upstream only to the endpoint they were sent to (a /v1/responses request served
        // as a chat completion sends the chat request built for it).
        changed = !exchange.path().endsWith(path);
        boolean chatStream = !path.equals(CallKind.RESPONSES.path); // the Responses API has no include_usage
        if (stream && chatStream && !tree.path("stream_options").path("include_usage").asBoolean(false)) {
            // Most clients send no stream_options at all: the field is then written in front of the client's own
            // bytes rather than the whole tree serialised again.
            usageSpliced = !tree.has("stream_options");
            ObjectNode so = tree.get("stream_options") instanceof ObjectNode o ? o : tree.putObject("stream_options");
            so.put("include_usage", true);
            changed |= !usageSpliced;
        }
    }

    /** The client's body, as parsed (and rewritten). */
    ObjectNode tree() {
        return tree;
    }

    /** Adds headers that depend on the exact bytes sent (a signature over them). */
    interface Signer {
        void sign(HttpHeaders headers, ByteBuf content);
    }

    /** Picks the engine replicas' order for the body (calling {@link #routedBy}); may render and tokenise the prompt. */
    @FunctionalInterface
    interface Routing {
        void route(ForwardedBody body);
    }

    /**
     * Engine replicas: {@code routing} runs in {@link #prepare}, in the pool when the body is large (and, when it
     * {@code tokenises}, past the size the local lane prepares on the loop), before the call is queued.
     */
    void routeWith(Routing routing, boolean tokenises) {
        this.routing = routing;
        this.routingTokenises = tokenises;
    }

    /** Engine replicas: the order to try them in, and what signs the request for them. */
    void routedBy(ModelRouter.Preference order, Signer sign) {
        this.preference = order;
        this.signer = sign;
    }

    /** {@code request} trying targets in this body's preferred order, when it has one. */
    ModelRouter.Request placing(ModelRouter.Request request) {
        return request.prefer(preference);
    }

    /** Marks the tree as changed from what the client sent, so that it is serialised rather than the client's bytes. */
    void rewritten() {
        changed = true;
    }

    /**
     * Routes the body among engine replicas when it is routed by {@link #routeWith}, and serialises it for the
     * lane's first target ahead of time (nothing to do when the client's bytes go as they are): in the pool when it
     * is large; then runs {@code then} on the event loop.
     */
    void prepare(PreparationPool pool, UpstreamModelConfig config, Runnable then) throws Exception {
        UpstreamModelConfig.Target first = config.firstTarget();
        String model = first == null ? config.id() : modelFor(config, first);
        boolean serialise = rewritten(model);
        Routing route = routing;
        if (!serialise && (route == null || !routingTokenises)) {
            if (route != null) {
                route.route(this);
            }
            then.run();
            return;
        }
        int bytes = exchange.body().readableBytes();
        boolean inline = bytes <= PreparationPool.PARSE_INLINE_LIMIT
                && (!routingTokenises || bytes <= PreparationPool.PREPARE_INLINE_LIMIT);
        pool.run(exchange, inline, () -> {
            if (route != null) {
                route.route(this);
            }
            return serialise ? serialise(model) : null;
        }, prepared -> then.run());
    }

    /** The HTTP request for {@code target}: the body as that target must see it, and the proxy's headers. */
    FullHttpRequest request(UpstreamModelConfig config, UpstreamModelConfig.Target target) {
        String model = modelFor(config, target);
        ByteBuf content = rewritten(model) ? Unpooled.wrappedBuffer(serialise(model))
                : exchange.body().retainedDuplicate();
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                target.basePath() + path, content, Headers.OUTGOING, Headers.NO_TRAILERS);
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.HOST, HOSTS.computeIfAbsent(target.url(), ForwardedBody::hostHeader));
        h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        h.set(HttpHeaderNames.ACCEPT, stream ? HttpHeaderValues.TEXT_EVENT_STREAM : HttpHeaderValues.APPLICATION_JSON);
        h.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        h.set(HttpHeaderNames.USER_AGENT, USER_AGENT);
        h.set(X_REQUEST_ID, exchange.requestId());
        target.apiKeyEnv().map(System::getenv).filter(k -> !k.isEmpty())
                .ifPresent(key -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key));
        if (signer != null) {
            signer.sign(h, content);
        }
        return r;
    }

    // Header names and values made once as ASCII bytes: the encoder copies those whole rather than char by char.
    private static final AsciiString USER_AGENT = AsciiString.cached("fairlane");
    private static final AsciiString X_REQUEST_ID = AsciiString.cached("x-request-id");
    /** The Host header per target address; targets are configured, so the map stays small. */
    private static final ConcurrentHashMap<URI, AsciiString> HOSTS = new ConcurrentHashMap<>();

    private static AsciiString hostHeader(URI url) {
        return new AsciiString(url.getPort() > 0 ? url.getHost() + ":" + url.getPort() : url.getHost());
    }

    private static String modelFor(UpstreamModelConfig config, UpstreamModelConfig.Target target) {
        return target.model().orElse(config.id());
    }

    /** Whether {@code model}'s body differs from what the client sent. */
    private boolean rewritten(String model) {
        return changed || usageSpliced || !model.equals(clientModel);
    }

    private byte[] serialise(String model) {
        if (!model.equals(serialisedFor)) {
            byte[] spliced = !changed && usageSpliced && model.equals(clientModel)
                    ? withUsageAsked(exchange.body()) : null;
            if (spliced != null) {
                serialised = spliced;
            } else {
                tree.put("model", model);
                try {
                    serialised = Json.MAPPER.writeValueAsBytes(tree);
                } catch (JsonProcessingException e) {
                    throw new UncheckedIOException(e);
                }
            }
            serialisedFor = model;
        }
        return serialised;
    }

    private static final byte[] ASK_USAGE = "\"stream_options\":{\"include_usage\":true},"
            .getBytes(StandardCharsets.US_ASCII);

    /**
     * The client's bytes with {@code stream_options} asking for usage written right after the object's opening
     * brace, for a body that has no {@code stream_options} (so the field is not repeated) and at least one field (it
     * says {@code stream}); null when the body does not start with a brace after JSON whitespace.
     */
    static byte[] withUsageAsked(ByteBuf body) {
        int from = body.readerIndex();
        int end = body.writerIndex();
        int brace = from;
        while (brace < end && isJsonSpace(body.getByte(brace))) {
            brace++;
        }
        if (brace == end || body.getByte(brace) != '{') {
            return null;
        }
        int head = brace + 1 - from;
        int length = end - from;
        byte[] out = new byte[length + ASK_USAGE.length];
        body.getBytes(from, out, 0, head);
        System.arraycopy(ASK_USAGE, 0, out, head, ASK_USAGE.length);
        body.getBytes(from + head, out, head + ASK_USAGE.length, length - head);
        return out;
    }

    private static boolean isJsonSpace(byte b) {
        return b == ' ' || b == '\t' || b == '\n' || b == '\r';
    }
}
