package io.fairlane.gateway.lane;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Headers;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.ServiceTiers;
import io.fairlane.gateway.openai.Usages;
import io.fairlane.gateway.upstream.ResponseScan;
import io.fairlane.gateway.upstream.SseDecoder;
import io.fairlane.gateway.upstream.StreamNormalizer;
import io.fairlane.gateway.upstream.UpstreamConnection;
import io.fairlane.gateway.upstream.UpstreamListener;
import io.fairlane.gateway.metrics.UpstreamMeters;
import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Ticket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufInputStream;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.ChannelFuture;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpHeaders;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.util.List;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request through an upstream lane, from its dispatch by the tenant scheduler to its last byte.
 *
 * <p>Tries the lane's targets in order. A target that fails before the client has seen a byte (connect
 * error, reset, timeout, 5xx or 429) passes the request to the next; once none is left the client gets
 * 502/503/504 with {@code retry-after}. A stale pooled connection gets one retry on a fresh one. After
 * the client stream began, a failure becomes a final {@code data: {"error":...}} event and the connection
 * closes.
 *
 * <p>Streams are relayed event by event through a {@link StreamNormalizer}. The upstream connection has
 * {@code AUTO_READ} off: the next chunk is read only when the client's socket has taken the events made
 * from the last one, so a slow client slows the upstream instead of filling the gateway's memory.
 *
 * <p>Confined to the client connection's event loop (the upstream connection lives on the same loop);
 * only {@link #dispatched} is called from elsewhere, and it hops.
 */
final class UpstreamCall implements UpstreamListener {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamCall.class);
    private static final int MAX_BODY = 64 * 1024 * 1024;
    private static final int MAX_EVENT = 8 * 1024 * 1024;

    enum Kind {
        CHAT("/chat/completions"), COMPLETIONS("/completions"), EMBEDDINGS("/embeddings");

        final String path;

        Kind(String path) {
            this.path = path;
        }
    }

    private enum Phase { QUEUED, CONNECTING, AWAITING_HEAD, STREAMING, BUFFERING, DONE }

    private final UpstreamBackend lane;
    private final Exchange exchange;
    private final RequestContext context;
    private final Kind kind;
    private final ObjectNode body;
    private final boolean stream;
    private final boolean clientWantsUsage;
    private UpstreamModelConfig config;
    private Ticket<UpstreamCall> ticket;
    private Phase phase = Phase.QUEUED;
    private int targetIndex;
    private boolean retriedStale;
    private boolean freshConnection;
    private UpstreamConnection connection;
    private UpstreamMeters targetMeters;
    private long attemptStart;
    private ScheduledFuture<?> timer;
    private long deadlineNanos;
    private SseDecoder sse;
    private StreamNormalizer normalizer;
    private CompositeByteBuf buffered;
    private HttpResponse head;
    private boolean clientStreamStarted;
    private boolean cancelled;
    private boolean bodyChanged;

    UpstreamCall(UpstreamBackend lane, Exchange exchange, RequestContext context, Kind kind, ObjectNode body,
                 boolean stream, boolean clientWantsUsage) {
        this.lane = lane;
        this.exchange = exchange;
        this.context = context;
        this.kind = kind;
        this.body = body;
        this.stream = stream;
        this.clientWantsUsage = clientWantsUsage;
    }

    /**
     * Adjusts the forwarded body once: usage asked for on streams, so tokens can be metered. When nothing
     * needed changing and no target renames the model, the client's bytes are forwarded as they came.
     */
    void prepareBody(UpstreamModelConfig cfg) {
        this.config = cfg;
        if (stream && !body.path("stream_options").path("include_usage").asBoolean(false)) {
            ObjectNode so = body.get("stream_options") instanceof ObjectNode o ? o : body.putObject("stream_options");
            so.put("include_usage", true);
            bodyChanged = true;
        }
    }

    void queued(Ticket<UpstreamCall> t) {
        this.ticket = t;
        exchange.onClientGone(this::clientGone);
    }

    /** Called by the lane dispatcher, on whichever thread made room. */
    void dispatched(Ticket<UpstreamCall> t) {
        exchange.execute(() -> start(t));
    }

    private void start(Ticket<UpstreamCall> t) {
        ticket = t;
        if (cancelled || exchange.isDone()) {
            lane.dispatcher().cancel(t, ActualCost.NONE);
            return;
        }
        exchange.log().queueNanos = System.nanoTime() - t.enqueuedNanos();
        attempt();
    }

    private void attempt() {
        UpstreamModelConfig.Target target = config.targets().get(targetIndex);
        targetMeters = lane.metrics().upstream(target.label());
        phase = Phase.CONNECTING;
        attemptStart = System.nanoTime();
        boolean[] fresh = new boolean[1];
        Future<UpstreamConnection> f = lane.client().acquire(exchange.eventLoop(), target.url(),
                config.connectTimeout(), fresh);
        freshConnection = fresh[0];
        if (f.isDone()) {
            connected(f, target);
        } else {
            f.addListener(done -> connected(f, target));
        }
    }

    private void connected(Future<UpstreamConnection> f, UpstreamModelConfig.Target target) {
        if (!f.isSuccess()) {
            if (phase == Phase.CONNECTING) {
                attemptFailed(f.cause(), "connect_error");
            }
            return;
        }
        UpstreamConnection c = f.getNow();
        if (phase != Phase.CONNECTING) {
            lane.client().release(c);
            return;
        }
        connection = c;
        c.attach(this);
        phase = Phase.AWAITING_HEAD;
        c.channel().writeAndFlush(request(target)).addListener(w -> {
            if (!w.isSuccess() && phase == Phase.AWAITING_HEAD && connection == c) {
                attemptFailed(w.cause(), "reset");
            }
        });
        c.read();
        schedule(config.firstByteTimeout().toNanos());
    }

    private FullHttpRequest request(UpstreamModelConfig.Target target) {
        String model = target.model().orElse(config.id());
        ByteBuf content;
        if (!bodyChanged && model.equals(body.path("model").asText())) {
            content = exchange.body().retainedDuplicate();
        } else {
            body.put("model", model);
            content = Json.write(exchange.alloc(), body);
        }
        FullHttpRequest r = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST,
                target.basePath() + kind.path, content, Headers.OUTGOING, Headers.NO_TRAILERS);
        HttpHeaders h = r.headers();
        h.set(HttpHeaderNames.HOST, target.url().getPort() > 0 ? target.url().getHost() + ":" + target.url().getPort()
                : target.url().getHost());
        h.set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        h.setInt(HttpHeaderNames.CONTENT_LENGTH, content.readableBytes());
        h.set(HttpHeaderNames.ACCEPT, stream ? "text/event-stream" : "application/json");
        h.set(HttpHeaderNames.ACCEPT_ENCODING, HttpHeaderValues.IDENTITY);
        h.set(HttpHeaderNames.USER_AGENT, "fairlane");
        h.set("x-request-id", exchange.requestId());
        target.apiKeyEnv().map(System::getenv).filter(k -> !k.isEmpty())
                .ifPresent(key -> h.set(HttpHeaderNames.AUTHORIZATION, "Bearer " + key));
        return r;
    }

    @Override
    public void onHead(HttpResponse response) {
        if (phase != Phase.AWAITING_HEAD) {
            return;
        }
        head = response;
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (response.status().code() == 200 && stream && type.startsWith("text/event-stream")) {
            phase = Phase.STREAMING;
            sse = new SseDecoder(exchange.alloc(), MAX_EVENT);
            normalizer = new StreamNormalizer(clientWantsUsage, ServiceTiers.wire(context.tier()));
        } else {
            phase = Phase.BUFFERING;
            buffered = exchange.alloc().compositeBuffer(8);
        }
        schedule(config.readTimeout().toNanos());
        // The head may arrive alone: ask for the body (a second request for data already on its way is harmless).
        connection.read();
    }

    @Override
    public void onContent(HttpContent content) {
        try {
            switch (phase) {
                case STREAMING -> relay(content);
                case BUFFERING -> buffer(content);
                default -> {
                }
            }
        } catch (RuntimeException e) {
            LOG.debug("request {}: upstream response unusable", exchange.requestId(), e);
            failAfterHead(new ApiError(502, "The model server sent a response Fairlane could not read.",
                    "server_error", null, "upstream_error").withHeader("retry-after", "1"), "bad_response");
        } finally {
            content.release();
        }
    }

    private void relay(HttpContent content) {
        schedule(config.readTimeout().toNanos());
        List<SseDecoder.Event> events = sse.feed(content.content());
        boolean last = content instanceof LastHttpContent;
        if (last) {
            events = new java.util.ArrayList<>(events);
            events.addAll(sse.finish());
        }
        // Every event of this read goes out in one buffer: one write and one HTTP chunk instead of one per event.
        ByteBuf batch = null;
        int committed = 0;
        try {
            for (SseDecoder.Event event : events) {
                if (event.dataIs(DONE)) {
                    continue;
                }
                if (batch == null) {
                    batch = exchange.alloc().buffer(events.size() * (event.bytes().length + 48));
                }
                boolean errorEvent = "error".equals(event.name());
                if (errorEvent || !normalizer.passThrough(event.bytes(), batch)) {
                    JsonNode node;
                    try {
                        node = Json.MAPPER.readTree(event.bytes());
                    } catch (IOException e) {
                        throw new IllegalStateException("upstream sent an event that is not JSON", e);
                    }
                    if (!(node instanceof ObjectNode chunk)) {
                        continue;
                    }
                    if (errorEvent || chunk.has("error")) {
                        ByteBuf before = batch;
                        batch = null;
                        writeBatch(before);
                        upstreamErrorEvent(chunk);
                        return;
                    }
                    if (normalizer.normalize(chunk) == StreamNormalizer.Verdict.DROP) {
                        continue;
                    }
                    Json.writeSseEvent(batch, chunk);
                }
                committed = batch.writerIndex();
                if (normalizer.lastCarriedOutput()) {
                    long gap = exchange.markToken();
                    if (gap >= 0) {
                        context.meters().interTokenLatency().record(gap, TimeUnit.NANOSECONDS);
                    }
                }
            }
        } catch (RuntimeException e) {
            if (batch != null) {
                // The events before the bad one still reach the client, ahead of the error event.
                batch.writerIndex(committed);
                writeBatch(batch);
            }
            throw e;
        }
        ChannelFuture lastWrite = writeBatch(batch);
        if (last) {
            ensureClientStream();
            exchange.endStream(); // flushes the events written above with the terminal [DONE]
            complete("ok");
            return;
        }
        UpstreamConnection c = connection;
        if (lastWrite == null) {
            c.read();
        } else {
            exchange.flush(); // every event of this read in one write to the client's socket
            lastWrite.addListener(w -> {
                if (w.isSuccess() && phase == Phase.STREAMING && connection == c) {
                    c.read();
                }
            });
        }
    }

    private static final byte[] DONE = "[DONE]".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

    /** Writes (without flushing) the events gathered in {@code batch}; null when there were none. */
    private ChannelFuture writeBatch(ByteBuf batch) {
        if (batch == null) {
            return null;
        }
        if (!batch.isReadable()) {
            batch.release();
            return null;
        }
        ensureClientStream();
        return exchange.writeEvent(batch);
    }

    private void ensureClientStream() {
        if (!clientStreamStarted) {
            clientStreamStarted = true;
            exchange.startStream(false); // goes out with the first events' flush
        }
    }

    /** The upstream sent {@code data: {"error":...}}: pass it on as the stream's end. */
    private void upstreamErrorEvent(ObjectNode chunk) {
        ApiError e = upstreamError(502, chunk);
        if (!clientStreamStarted) {
            failAfterHead(e, "http_5xx");
            return;
        }
        exchange.fail(new ApiException(e));
        complete("stream_error");
    }

    private void buffer(HttpContent content) {
        ByteBuf bytes = content.content();
        if (buffered.readableBytes() + bytes.readableBytes() > MAX_BODY) {
            throw new IllegalStateException("upstream response larger than " + MAX_BODY + " bytes");
        }
        if (bytes.isReadable()) {
            buffered.addComponent(true, bytes.retain());
        }
        if (content instanceof LastHttpContent) {
            cancelTimer();
            responded();
        } else {
            connection.read();
        }
    }

    private void responded() {
        int status = head.status().code();
        if (status == 200 && buffered.isReadable()) {
            String tier = kind == Kind.EMBEDDINGS ? null : ServiceTiers.wire(context.tier());
            ResponseScan scan = ResponseScan.of(new ByteBufInputStream(buffered.duplicate()), tier);
            if (scan != null) {
                exchange.respond(HttpResponseStatus.OK, passThrough(scan, tier));
                complete("ok");
                return;
            }
        }
        JsonNode node = parse(buffered);
        if (status == 200) {
            if (!(node instanceof ObjectNode response)) {
                failAfterHead(new ApiError(502, "The model server answered with something other than a JSON object.",
                        "server_error", null, "upstream_error").withHeader("retry-after", "1"), "bad_response");
                return;
            }
            exchange.respond(HttpResponseStatus.OK, normalise(response));
            complete("ok");
            return;
        }
        ApiError error = upstreamError(status, node);
        boolean retryable = status >= 500 || status == 429;
        if (retryable && targetIndex + 1 < config.targets().size()) {
            targetMeters.attempt(status == 429 ? "http_429" : "http_5xx", System.nanoTime() - attemptStart);
            releaseConnection();
            resetAttempt();
            targetIndex++;
            attempt();
            return;
        }
        String retryAfter = head.headers().get("retry-after");
        if (retryAfter != null) {
            error = error.withHeader("retry-after", retryAfter);
        }
        String retryAfterMs = head.headers().get("retry-after-ms");
        if (retryAfterMs != null) {
            error = error.withHeader("retry-after-ms", retryAfterMs);
        }
        if (status >= 500 && !error.headers().containsKey("retry-after")) {
            error = error.withHeader("retry-after", "1");
        }
        exchange.log().upstreamThrottled = status == 429;
        exchange.fail(new ApiException(error));
        complete(status >= 500 ? "http_5xx" : status == 429 ? "http_429" : "http_4xx");
    }

    /**
     * The tree path, for an answer {@link ResponseScan} declined.
     * The complete (non-stream) response with usage repaired, tool calls typed and the tier we scheduled
     * in. The common case costs no re-serialisation: when the upstream's JSON needed no repair, its bytes
     * are sent as they came, with {@code service_tier} spliced in after the opening brace when missing.
     */
    private ByteBuf normalise(ObjectNode response) {
        boolean changed = false;
        if (response.get("usage") instanceof ObjectNode u) {
            changed = Usages.normalise(u, kind != Kind.EMBEDDINGS);
            exchange.log().promptTokens = Usages.promptTokens(u);
            exchange.log().completionTokens = Usages.completionTokens(u);
            exchange.log().cachedTokens = Usages.cachedTokens(u);
        }
        String tier = ServiceTiers.wire(context.tier());
        boolean spliceTier = false;
        if (kind != Kind.EMBEDDINGS) {
            JsonNode sent = response.get("service_tier");
            if (sent == null || sent.isNull()) {
                spliceTier = sent == null;
                changed |= sent != null;
                response.put("service_tier", tier);
            } else if (!tier.equals(sent.asText())) {
                response.put("service_tier", tier);
                changed = true;
            }
            changed |= repairChoices(response);
        }
        if (changed) {
            return Json.write(exchange.alloc(), response);
        }
        ByteBuf original = buffered.retainedDuplicate();
        return spliceTier ? spliceTier(original, tier, response.size() > 1) : original;
    }

    /** The fast path: the upstream's bytes as they came, {@code service_tier} spliced in when it was missing. */
    private ByteBuf passThrough(ResponseScan scan, String tier) {
        if (scan.hasUsage()) {
            exchange.log().promptTokens = scan.promptTokens();
            exchange.log().completionTokens = scan.completionTokens();
            exchange.log().cachedTokens = scan.cachedTokens();
        }
        if (scan.carriedOutput()) {
            exchange.markToken();
        }
        ByteBuf original = buffered.retainedDuplicate();
        return scan.spliceTier() ? spliceTier(original, tier, true) : original;
    }

    /** {@code original} with {@code "service_tier":"<tier>"} put first in its object (takes {@code original}). */
    private ByteBuf spliceTier(ByteBuf original, String tier, boolean moreFields) {
        int open = original.indexOf(original.readerIndex(), original.writerIndex(), (byte) '{');
        ByteBuf head = exchange.alloc().buffer(32);
        head.writeBytes(original, original.readerIndex(), open + 1 - original.readerIndex());
        head.writeCharSequence("\"service_tier\":\"" + tier + "\"" + (moreFields ? "," : ""),
                java.nio.charset.StandardCharsets.US_ASCII);
        original.readerIndex(open + 1);
        return exchange.alloc().compositeBuffer(2).addComponents(true, head, original);
    }

    /** Types tool calls and sets {@code finish_reason: tool_calls} where calls were made; true if it changed. */
    private boolean repairChoices(ObjectNode response) {
        boolean changed = false;
        if (response.get("choices") instanceof ArrayNode choices) {
            boolean output = false;
            for (JsonNode c : choices) {
                if (!(c instanceof ObjectNode choice)) {
                    continue;
                }
                JsonNode message = choice.get("message");
                if (message != null && message.get("tool_calls") instanceof ArrayNode calls && !calls.isEmpty()) {
                    output = true;
                    for (JsonNode call : calls) {
                        if (call instanceof ObjectNode o && !o.has("type")) {
                            o.put("type", "function");
                            changed = true;
                        }
                    }
                    if ("stop".equals(choice.path("finish_reason").asText())) {
                        choice.put("finish_reason", "tool_calls");
                        changed = true;
                    }
                }
                if (message != null && message.path("content").isTextual() || choice.path("text").isTextual()) {
                    output = true;
                }
            }
            if (output) {
                exchange.markToken();
            }
        }
        return changed;
    }

    /** The upstream's error, OpenAI-shaped; an upstream's 401/403 is our credentials' problem: 502. */
    private static ApiError upstreamError(int status, JsonNode node) {
        JsonNode e = node == null ? null : node.get("error");
        String message;
        String type;
        String param = null;
        String code = null;
        if (e instanceof ObjectNode err) {
            message = err.path("message").isTextual() ? err.get("message").asText() : "The model server returned an error.";
            type = err.path("type").isTextual() ? err.get("type").asText() : status >= 500 ? "server_error"
                    : "invalid_request_error";
            param = err.path("param").isTextual() ? err.get("param").asText() : null;
            code = err.path("code").isTextual() ? err.get("code").asText()
                    : err.path("code").isNumber() ? err.get("code").asText() : null;
        } else if (e != null && e.isTextual()) {
            message = e.asText();
            type = status >= 500 ? "server_error" : "invalid_request_error";
        } else {
            message = "The model server answered HTTP " + status + ".";
            type = status >= 500 ? "server_error" : "invalid_request_error";
        }
        if (status == 401 || status == 403) {
            return new ApiError(502, "The model server refused Fairlane's credentials (HTTP " + status
                    + "); tell the Fairlane administrator.", "server_error", null, "upstream_auth_error")
                    .withHeader("retry-after", "1");
        }
        int mapped = status >= 400 && status <= 599 ? status : 502;
        return new ApiError(mapped, message, type, param, code);
    }

    private static JsonNode parse(ByteBuf buf) {
        if (!buf.isReadable()) {
            return null;
        }
        try (InputStream in = new ByteBufInputStream(buf.duplicate())) {
            return Json.MAPPER.readTree(in);
        } catch (IOException e) {
            return null;
        }
    }

    @Override
    public void onError(Throwable cause) {
        if (phase == Phase.DONE || phase == Phase.QUEUED) {
            return;
        }
        connection = null;
        if (!clientStreamStarted) {
            attemptFailed(cause, "reset");
            return;
        }
        midStreamFailure("reset");
    }

    private void midStreamFailure(String outcome) {
        exchange.fail(new ApiException(new ApiError(502, "The connection to the model server was lost mid-stream.",
                "server_error", null, "upstream_disconnected")));
        complete(outcome);
    }

    /** A failure after the upstream answered but before the client saw a byte. */
    private void failAfterHead(ApiError error, String outcome) {
        if (clientStreamStarted) {
            exchange.fail(new ApiException(error));
            complete(outcome);
            return;
        }
        if (targetIndex + 1 < config.targets().size()) {
            targetMeters.attempt(outcome, System.nanoTime() - attemptStart);
            discardConnection();
            resetAttempt();
            targetIndex++;
            attempt();
            return;
        }
        exchange.fail(new ApiException(error));
        complete(outcome);
    }

    /** The attempt failed before the client saw anything: retry, fail over, or answer 502/503/504. */
    private void attemptFailed(Throwable cause, String outcome) {
        cancelTimer();
        discardConnection();
        boolean beforeHead = phase == Phase.CONNECTING || phase == Phase.AWAITING_HEAD;
        if (phase == Phase.AWAITING_HEAD && !freshConnection && !retriedStale && !"timeout".equals(outcome)) {
            // A pooled connection the server had already closed: one retry on a fresh one, same target.
            retriedStale = true;
            resetAttempt();
            attempt();
            return;
        }
        targetMeters.attempt(outcome, -1);
        LOG.debug("request {}: upstream attempt {} failed ({}): {}", exchange.requestId(), targetIndex + 1, outcome,
                cause == null ? "" : cause.toString());
        resetAttempt();
        if (targetIndex + 1 < config.targets().size()) {
            targetIndex++;
            retriedStale = false;
            attempt();
            return;
        }
        ApiError error;
        if ("timeout".equals(outcome)) {
            error = new ApiError(504, "The model server did not answer in time.", "server_error", null, "timeout")
                    .withHeader("retry-after", "1");
        } else if (cause instanceof ConnectException || "connect_error".equals(outcome)) {
            error = new ApiError(503, "The model server for '" + config.id() + "' cannot be reached right now.",
                    "server_error", null, "upstream_unavailable").withHeader("retry-after", "1");
        } else {
            error = new ApiError(502, "The connection to the model server failed "
                    + (beforeHead ? "before it answered." : "while it answered."), "server_error", null,
                    "upstream_error").withHeader("retry-after", "1");
        }
        exchange.fail(new ApiException(error));
        finishTicket();
    }

    private void resetAttempt() {
        phase = Phase.CONNECTING;
        head = null;
        if (sse != null) {
            sse.close();
            sse = null;
        }
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
    }

    /**
     * Moves the deadline to {@code nanos} from now. One timer per call at most: when it fires early (the
     * deadline moved on as chunks arrived) it re-arms for the time left, so a stream of a thousand chunks
     * does not schedule a thousand timers.
     */
    private void schedule(long nanos) {
        deadlineNanos = System.nanoTime() + nanos;
        if (timer == null) {
            timer = exchange.eventLoop().schedule(this::checkDeadline, nanos, TimeUnit.NANOSECONDS);
        }
    }

    private void checkDeadline() {
        timer = null;
        if (phase == Phase.DONE) {
            return;
        }
        long left = deadlineNanos - System.nanoTime();
        if (left > 0) {
            timer = exchange.eventLoop().schedule(this::checkDeadline, left, TimeUnit.NANOSECONDS);
            return;
        }
        timedOut();
    }

    private void timedOut() {
        switch (phase) {
            case AWAITING_HEAD -> attemptFailed(null, "timeout");
            case STREAMING, BUFFERING -> {
                discardConnection();
                if (clientStreamStarted) {
                    exchange.fail(new ApiException(new ApiError(504, "The model server stopped sending mid-stream.",
                            "server_error", null, "timeout")));
                    complete("timeout");
                } else {
                    failAfterHead(new ApiError(504, "The model server did not answer in time.", "server_error", null,
                            "timeout").withHeader("retry-after", "1"), "timeout");
                }
            }
            default -> {
            }
        }
    }

    private void cancelTimer() {
        if (timer != null) {
            timer.cancel(false);
            timer = null;
        }
    }

    /** The client went away: stop the upstream call and give the slot back. */
    private void clientGone() {
        cancelled = true;
        if (phase == Phase.DONE) {
            return;
        }
        boolean running = phase != Phase.QUEUED;
        phase = Phase.DONE;
        cancelTimer();
        discardConnection();
        cleanup();
        if (running && targetMeters != null) {
            targetMeters.attempt("cancelled", -1);
        }
        if (ticket != null) {
            lane.dispatcher().cancel(ticket, running ? used() : ActualCost.NONE);
        }
    }

    private void complete(String outcome) {
        phase = Phase.DONE;
        cancelTimer();
        targetMeters.attempt(outcome, System.nanoTime() - attemptStart);
        if (normalizer != null && normalizer.usage() != null) {
            JsonNode u = normalizer.usage();
            exchange.log().promptTokens = Usages.promptTokens(u);
            exchange.log().completionTokens = Usages.completionTokens(u);
            exchange.log().cachedTokens = Usages.cachedTokens(u);
        }
        if (connection != null) {
            if ("ok".equals(outcome) || outcome.startsWith("http_")) {
                releaseConnection();
            } else {
                discardConnection();
            }
        }
        cleanup();
        finishTicket();
    }

    private void finishTicket() {
        phase = Phase.DONE;
        cleanup();
        if (ticket != null) {
            lane.dispatcher().finished(ticket, used());
        }
    }

    private ActualCost used() {
        int prompt = exchange.log().promptTokens;
        int cached = Math.min(prompt, exchange.log().cachedTokens);
        int completion = exchange.log().completionTokens;
        if (prompt == 0 && completion == 0) {
            prompt = ticket == null ? 0 : ticket.estimate().promptTokens();
            completion = normalizer == null ? 0 : normalizer.outputChunks();
        }
        return new ActualCost(prompt, cached, completion);
    }

    private void releaseConnection() {
        UpstreamConnection c = connection;
        connection = null;
        if (c != null) {
            lane.client().release(c);
        }
    }

    private void discardConnection() {
        UpstreamConnection c = connection;
        connection = null;
        if (c != null) {
            lane.client().discard(c);
        }
    }

    private void cleanup() {
        if (sse != null) {
            sse.close();
            sse = null;
        }
        if (buffered != null) {
            buffered.release();
            buffered = null;
        }
    }

    @Override
    public String toString() {
        return "UpstreamCall[" + exchange.requestId() + " " + kind + " " + phase + "]";
    }
}
