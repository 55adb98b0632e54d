package io.fairlane.gateway.lane.upstream;

import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.metrics.UpstreamMeters;
import io.fairlane.gateway.openai.ServiceTiers;
import io.fairlane.gateway.openai.TokenUsage;
import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Ticket;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.Future;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request through an upstream lane, from its dispatch by the tenant scheduler to its last byte: the state
 * machine that tries the lane's targets and settles the request's ticket. The jobs along the way are done by
 * one piece each: {@link ForwardedBody} (what is sent), {@link StreamRelay} (streams, with backpressure),
 * {@link ResponseRepair} (complete answers), {@link UpstreamErrors} (what the client is told when it fails) and
 * {@link Deadline} (first byte and read timeouts).
 *
 * <p>Failover: a target that fails before the client has seen a byte (connect error, reset, timeout, 5xx or 429)
 * passes the request to the next; once none is left the client gets 502/503/504 with {@code retry-after}. A
 * stale pooled connection gets one retry on a fresh one. After the client's stream began, a failure becomes a
 * final {@code data: {"error":...}} event.
 *
 * <p>Settlement: the ticket and the request's log (what the meters and {@code /admin/usage} count) are settled
 * from the same numbers, however the request ends: the tokens the upstream reported ({@link TokenUsage}), or,
 * when it reported none (a stream the client cut before the usage chunk), the estimated prompt and the output
 * chunks relayed, one token each; nothing when no upstream answered.
 *
 * <p>Confined to the client connection's event loop (the upstream connection lives on the same loop); only
 * {@link #dispatched} is called from elsewhere, and it hops.
 */
final class UpstreamCall implements UpstreamListener {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamCall.class);
    private static final int MAX_BODY = 64 * 1024 * 1024;

    enum Kind {
        CHAT("/chat/completions", true), COMPLETIONS("/completions", true), EMBEDDINGS("/embeddings", false),
        MODERATIONS("/moderations", false), RESPONSES("/responses", false);

        final String path;
        /** Whether answers have choices (and a service tier) to repair; embeddings and moderations have neither. */
        final boolean choices;

        Kind(String path, boolean choices) {
            this.path = path;
            this.choices = choices;
        }
    }

    private enum Phase { QUEUED, CONNECTING, AWAITING_HEAD, STREAMING, BUFFERING, DONE }

    private final UpstreamBackend lane;
    private final UpstreamModelConfig config;
    private final Exchange exchange;
    private final RequestContext context;
    private final Kind kind;
    private final ForwardedBody body;
    private final boolean stream;
    private final boolean clientWantsUsage;
    private final Deadline deadline;
    private Ticket<UpstreamCall> ticket;
    private Phase phase = Phase.QUEUED;
    private int targetIndex;
    private boolean retriedStale;
    private boolean freshConnection;
    private UpstreamConnection connection;
    private UpstreamMeters targetMeters;
    private long attemptStart;
    private StreamRelay relay;
    private CompositeByteBuf buffered;
    private HttpResponse head;
    private TokenUsage usage = TokenUsage.NONE;
    private boolean cancelled;

    UpstreamCall(UpstreamBackend lane, Exchange exchange, RequestContext context, Kind kind, ForwardedBody body,
                 boolean stream, boolean clientWantsUsage) {
        this.lane = lane;
        this.config = lane.config();
        this.exchange = exchange;
        this.context = context;
        this.kind = kind;
        this.body = body;
        this.stream = stream;
        this.clientWantsUsage = clientWantsUsage;
        this.deadline = new Deadline(exchange.eventLoop(), this::timedOut);
    }

    void queued(Ticket<UpstreamCall> t) {
        this.ticket = t;
        exchange.onClientGone(this::clientGone);
        exchange.onEnding(() -> {
            TokenUsage u = settledUsage();
            exchange.log().recordTokens(u.promptTokens(), u.cachedTokens(), u.completionTokens());
        });
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
        c.channel().writeAndFlush(body.request(config, target)).addListener(w -> {
            if (!w.isSuccess() && phase == Phase.AWAITING_HEAD && connection == c) {
                attemptFailed(w.cause(), "reset");
            }
        });
        c.read();
        deadline.extend(config.firstByteTimeout().toNanos());
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
            relay = new StreamRelay(exchange, context, clientWantsUsage, kind == Kind.RESPONSES);
        } else {
            phase = Phase.BUFFERING;
            buffered = exchange.alloc().compositeBuffer(8);
        }
        deadline.extend(config.readTimeout().toNanos());
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
            failAfterHead(UpstreamErrors.unreadable(), "bad_response");
        } finally {
            content.release();
        }
    }

    private void relay(HttpContent content) {
        deadline.extend(config.readTimeout().toNanos());
        switch (relay.feed(content)) {
            case StreamRelay.Ended ended -> complete("ok");
            case StreamRelay.ErrorEvent error -> upstreamErrorEvent(error);
            case StreamRelay.More more -> {
                UpstreamConnection c = connection;
                if (more.lastWrite() == null) {
                    c.read();
                } else {
                    more.lastWrite().addListener(w -> {
                        if (w.isSuccess() && phase == Phase.STREAMING && connection == c) {
                            c.read();
                        }
                    });
                }
            }
        }
    }

    /** The upstream sent {@code data: {"error":...}}: pass it on as the stream's end. */
    private void upstreamErrorEvent(StreamRelay.ErrorEvent event) {
        ApiError e = UpstreamErrors.fromUpstream(502, event.chunk());
        if (!relay.clientStarted()) {
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
            deadline.cancel();
            responded();
        } else {
            connection.read();
        }
    }

    private void responded() {
        int status = head.status().code();
        if (status == 200 && kind == Kind.RESPONSES) {
            // The Responses API's objects are forwarded as they are: chat's repairs do not apply to them.
            recordUsage(ResponsesEvents.usage(UpstreamErrors.parse(buffered)));
            exchange.markToken();
            exchange.respond(HttpResponseStatus.OK, buffered.retainedDuplicate());
            complete("ok");
            return;
        }
        if (status == 200) {
            String tier = kind.choices ? ServiceTiers.wire(context.tier()) : null;
            ResponseRepair.Repaired answer = ResponseRepair.of(buffered, tier, kind.choices, exchange.alloc());
            if (answer == null) {
                failAfterHead(UpstreamErrors.notAnObject(), "bad_response");
                return;
            }
            recordUsage(answer.usage());
            if (answer.carriedOutput()) {
                exchange.markToken();
            }
            exchange.respond(HttpResponseStatus.OK, answer.body());
            complete("ok");
            return;
        }
        boolean retryable = status >= 500 || status == 429;
        if (retryable && targetIndex + 1 < config.targets().size()) {
            targetMeters.attempt(status == 429 ? "http_429" : "http_5xx", System.nanoTime() - attemptStart);
            releaseConnection();
            nextTarget();
            return;
        }
        ApiError error = UpstreamErrors.finalAnswer(status, UpstreamErrors.parse(buffered), head.headers());
        exchange.log().upstreamThrottled = status == 429;
        exchange.fail(new ApiException(error));
        complete(status >= 500 ? "http_5xx" : status == 429 ? "http_429" : "http_4xx");
    }

    @Override
    public void onError(Throwable cause) {
        if (phase == Phase.DONE || phase == Phase.QUEUED) {
            return;
        }
        connection = null;
        if (!clientStarted()) {
            attemptFailed(cause, "reset");
            return;
        }
        exchange.fail(new ApiException(UpstreamErrors.lostMidStream()));
        complete("reset");
    }

    private boolean clientStarted() {
        return relay != null && relay.clientStarted();
    }

    /** A failure after the upstream answered but before the client saw a byte: the next target, or the end. */
    private void failAfterHead(ApiError error, String outcome) {
        if (!clientStarted() && targetIndex + 1 < config.targets().size()) {
            targetMeters.attempt(outcome, System.nanoTime() - attemptStart);
            discardConnection();
            nextTarget();
            return;
        }
        exchange.fail(new ApiException(error));
        complete(outcome);
    }

    /** The attempt failed before the client saw anything: retry, fail over, or answer 502/503/504. */
    private void attemptFailed(Throwable cause, String outcome) {
        deadline.cancel();
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
        if (targetIndex + 1 < config.targets().size()) {
            retriedStale = false;
            nextTarget();
            return;
        }
        resetAttempt();
        exchange.fail(new ApiException(UpstreamErrors.exhausted(outcome, cause, beforeHead, config.id())));
        finishTicket();
    }

    private void nextTarget() {
        resetAttempt();
        targetIndex++;
        attempt();
    }

    private void resetAttempt() {
        phase = Phase.CONNECTING;
        head = null;
        cleanup();
        relay = null;
    }

    private void timedOut() {
        switch (phase) {
            case AWAITING_HEAD -> attemptFailed(null, "timeout");
            case STREAMING, BUFFERING -> {
                discardConnection();
                if (clientStarted()) {
                    exchange.fail(new ApiException(UpstreamErrors.stalledMidStream()));
                    complete("timeout");
                } else {
                    failAfterHead(UpstreamErrors.timeout(), "timeout");
                }
            }
            default -> {
            }
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
        deadline.cancel();
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
        deadline.cancel();
        targetMeters.attempt(outcome, System.nanoTime() - attemptStart);
        if (relay != null && !relay.usage().equals(TokenUsage.NONE)) {
            recordUsage(relay.usage());
        }
        if (connection != null) {
            if ("ok".equals(outcome) || outcome.startsWith("http_")) {
                releaseConnection();
            } else {
                discardConnection();
            }
        }
        finishTicket();
    }

    private void finishTicket() {
        phase = Phase.DONE;
        cleanup();
        if (ticket != null) {
            lane.dispatcher().finished(ticket, used());
        }
    }

    /** The tokens the upstream reported: kept for settlement, and written to the request's log for the meters. */
    private void recordUsage(TokenUsage reported) {
        usage = reported;
        exchange.log().recordTokens(reported.promptTokens(), reported.cachedTokens(), reported.completionTokens());
    }

    /** What settles the ticket: {@link #settledUsage()}. */
    private ActualCost used() {
        TokenUsage u = settledUsage();
        return new ActualCost(u.promptTokens(), Math.min(u.promptTokens(), u.cachedTokens()), u.completionTokens());
    }

    /**
     * What the request used as far as the gateway can tell: the usage the upstream reported (on a complete answer,
     * or in a stream's usage chunk); else, once an upstream answered, the estimated prompt and the output chunks
     * relayed (a stream cut before its usage chunk); else nothing.
     */
    private TokenUsage settledUsage() {
        if (relay != null && !relay.usage().isEmpty()) {
            return relay.usage();
        }
        if (!usage.isEmpty()) {
            return usage;
        }
        if (relay == null && (head == null || head.status().code() != 200)) {
            return TokenUsage.NONE;
        }
        return new TokenUsage(ticket == null ? 0 : ticket.estimate().promptTokens(), 0,
                relay == null ? 0 : relay.outputChunks());
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

    /** Frees the attempt's buffers; the relay stays readable for settlement. */
    private void cleanup() {
        if (relay != null) {
            relay.close();
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
