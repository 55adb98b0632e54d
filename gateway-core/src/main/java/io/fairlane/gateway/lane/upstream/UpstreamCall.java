package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.lane.routing.Outcome;
import io.fairlane.gateway.lane.routing.ModelRouter;
import io.fairlane.gateway.openai.ServiceTiers;
import io.fairlane.gateway.openai.TokenUsage;
import io.fairlane.scheduler.ActualCost;
import io.fairlane.scheduler.Ticket;
import io.netty.buffer.ByteBuf;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.LinkedHashSet;
import java.util.Set;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One request through an upstream lane, from its placement on a target to its last byte: the state machine that
 * makes attempts ({@link UpstreamAttempt}) on the targets its {@link ModelRouter} picks, decides after each failure
 * whether another attempt may follow, and settles the request's ticket. The jobs along the way are done by one
 * piece each: {@link ForwardedBody} (what is sent), {@link StreamRelay} (streams, with backpressure),
 * {@link BufferedAnswer} (complete answers), {@link UpstreamErrors} (what the client is told).
 *
 * <p>Failover never lies: a failure before the client saw a byte (connect error, reset, timeout, a retryable
 * status, an unusable answer) passes the request to another usable target, or to the same one after its
 * {@code retry-after} when that is short enough, within the model's attempt cap and retry budget; a 4xx is the
 * request's own answer and is passed on (a fallback's 4xx after a retryable failure is reported as that failure,
 * since the request itself was fine); a context-length refusal goes to a context fallback when one is configured.
 * Once the client's stream began, a failure ends it with an error event and no {@code [DONE]}.
 *
 * <p>A client that stops reading pauses the upstream (reads wait for the client's writes): its stall is covered by
 * {@code server.timeouts.slow_client}, charged to the client, and leaves the target's health alone.
 *
 * <p>Settlement: the ticket, the request's log and the per-target meters count the same tokens, once, for the
 * target that served, however the request ends ({@link #settledUsage}); the response names that target and the
 * attempts it took ({@code x-fairlane-target}, {@code x-fairlane-attempts}).
 *
 * <p>Confined to the client connection's event loop (the upstream connection lives on the same loop), except
 * {@link #tryPlace} (the lane dispatcher's thread, under its lock) and {@link #dispatched}, which hops.
 */
final class UpstreamCall implements UpstreamAttempt.Handler {

    private static final Logger LOG = LoggerFactory.getLogger(UpstreamCall.class);

    private enum Mode { NONE, STREAM, BUFFER }

    private final UpstreamBackend lane;
    private final ModelRouter router;
    private final UpstreamModelConfig config;
    private final Exchange exchange;
    private final RequestContext context;
    private final CallKind kind;
    private final ForwardedBody body;
    private final boolean stream;
    private final boolean clientWantsUsage;
    private final OutputBudget budget;
    private final long promptTokens;
    private final long createdNanos = System.nanoTime();
    /** Targets attempted, in order: one, immutable, for the usual single attempt; copied into a set on a retry. */
    private Set<String> tried = Set.of();
    private Ticket<UpstreamCall> ticket;
    private volatile ModelRouter.Route route;
    private UpstreamAttempt attempt;
    private boolean attemptOpen;
    private boolean started;
    private int attempts;
    private Mode mode = Mode.NONE;
    private HttpResponse head;
    private StreamRelay relay;
    private BufferedAnswer buffered;
    private ApiError firstFailure;
    private ApiError lastFailure;
    private Outcome finalOutcome;
    private TokenUsage usage = TokenUsage.NONE;
    private boolean cancelled;
    private boolean done;
    private boolean slowClient;
    private ScheduledFuture<?> slowTimer;
    private ScheduledFuture<?> retryTimer;
    private ShadowMirror.Mirror mirror;

    UpstreamCall(UpstreamBackend lane, Exchange exchange, RequestContext context, CallKind kind, ForwardedBody body,
                 boolean stream, boolean clientWantsUsage, OutputBudget budget, long promptTokens) {
        this.lane = lane;
        this.router = lane.router();
        this.config = lane.config();
        this.exchange = exchange;
        this.context = context;
        this.kind = kind;
        this.body = body;
        this.stream = stream;
        this.clientWantsUsage = clientWantsUsage;
        this.budget = budget;
        this.promptTokens = promptTokens;
    }

    void queued(Ticket<UpstreamCall> t) {
        this.ticket = t;
        exchange.onClientGone(this::clientGone);
        exchange.onEnding(() -> {
            TokenUsage u = settledUsage();
            exchange.log().recordTokens(u.promptTokens(), u.cachedTokens(), u.completionTokens());
        });
    }

    /** Asked by the lane dispatcher, under its lock: reserves a target for this request when one has room. */
    boolean tryPlace() {
        if (route != null) {
            return true;
        }
        long waited = System.nanoTime() - createdNanos;
        ModelRouter.Placement p = router.place(body.placing(ModelRouter.Request.first(promptTokens, waited)));
        if (p instanceof ModelRouter.Send s) {
            route = s.route();
            return true;
        }
        return false;
    }

    /** Called by the lane dispatcher, on whichever thread made room. */
    void dispatched(Ticket<UpstreamCall> t) {
        exchange.execute(() -> start(t));
    }

    private void start(Ticket<UpstreamCall> t) {
        ticket = t;
        if (cancelled || exchange.isDone()) {
            ModelRouter.Route r = route;
            if (r != null) {
                router.release(r);
            }
            lane.dispatcher().cancel(t, ActualCost.NONE);
            return;
        }
        started = true;
        exchange.log().queueNanos = System.nanoTime() - t.enqueuedNanos();
        router.requestStarted();
        mirror = lane.shadow().start(exchange, context, body, stream);
        attemptOn(route);
    }

    private void attemptOn(ModelRouter.Route r) {
        route = r;
        attempts++;
        String name = r.target().name();
        if (tried.isEmpty()) {
            tried = Set.of(name);
        } else if (!tried.contains(name)) {
            Set<String> more = new LinkedHashSet<>(tried);
            more.add(name);
            tried = more;
        }
        exchange.responseHeaders().set("x-fairlane-target", r.target().name());
        exchange.responseHeaders().set("x-fairlane-attempts", Integer.toString(attempts));
        mode = Mode.NONE;
        head = null;
        attemptOpen = true;
        UpstreamModelConfig.Target target = r.target();
        attempt = new UpstreamAttempt(lane.client(), exchange.eventLoop(), target, () -> body.request(config, target),
                this);
        attempt.start();
    }

    @Override
    public void onHead(UpstreamAttempt a, HttpResponse response) {
        if (a != attempt || done) {
            return;
        }
        head = response;
        String type = response.headers().get(HttpHeaderNames.CONTENT_TYPE, "");
        if (response.status().code() == 200 && stream && type.startsWith("text/event-stream")) {
            mode = Mode.STREAM;
            relay = new StreamRelay(exchange, context, clientWantsUsage, rename(), budget, kind == CallKind.RESPONSES);
        } else {
            mode = Mode.BUFFER;
            buffered = new BufferedAnswer(exchange.alloc(), budget);
            a.progress(); // a complete answer's head is its first byte
        }
        // The head may arrive alone: ask for the body (a second request for data already on its way is harmless).
        a.read();
    }

    @Override
    public void onContent(UpstreamAttempt a, HttpContent content) {
        try {
            if (a != attempt || done) {
                return;
            }
            switch (mode) {
                case STREAM -> relay(a, content);
                case BUFFER -> buffer(a, content);
                case NONE -> {
                }
            }
        } catch (UpstreamAnswerException e) {
            LOG.debug("request {}: upstream answer unusable: {}", exchange.requestId(), e.getMessage());
            answerFailed(e.error());
        } catch (RuntimeException e) {
            LOG.debug("request {}: upstream answer unusable", exchange.requestId(), e);
            answerFailed(UpstreamErrors.unreadable());
        } finally {
            content.release();
        }
    }

    private void relay(UpstreamAttempt a, HttpContent content) {
        switch (relay.feed(content)) {
            case StreamRelay.Ended ended -> {
                a.progress();
                succeeded();
            }
            case StreamRelay.ErrorEvent error -> {
                ApiError e = UpstreamErrors.fromUpstream(502, error.chunk());
                endAttempt(Outcome.HTTP_5XX, -1, true);
                failed(e);
            }
            case StreamRelay.More more -> {
                if (more.progressed()) {
                    a.progress();
                }
                if (more.lastWrite() == null || more.lastWrite().isDone()) {
                    a.read();
                    return;
                }
                // Read on only when the client took this read's events: a slow client slows the upstream down.
                a.pauseForClient();
                slowTimer = exchange.eventLoop().schedule(this::slowClientTimedOut,
                        lane.slowClientTimeout().toNanos(), TimeUnit.NANOSECONDS);
                more.lastWrite().addListener(w -> {
                    cancelSlowTimer();
                    if (w.isSuccess() && a == attempt && !done) {
                        a.resumeAfterClient();
                        a.read();
                    }
                });
            }
        }
    }

    private void buffer(UpstreamAttempt a, HttpContent content) {
        buffered.add(content.content());
        a.progress();
        if (!(content instanceof LastHttpContent)) {
            a.read();
            return;
        }
        int status = head.status().code();
        if (status == 200) {
            answered();
            return;
        }
        Outcome outcome = status == 429 ? Outcome.HTTP_429 : status >= 500 ? Outcome.HTTP_5XX : Outcome.HTTP_4XX;
        JsonNode answer = buffered.json();
        ApiError error = UpstreamErrors.finalAnswer(status, answer, head.headers());
        long retryAfter = BufferedAnswer.retryAfterNanos(head.headers());
        endAttempt(outcome, retryAfter, false);
        exchange.log().upstreamThrottled = status == 429;
        if (config.routing().retry().statuses().contains(status)) {
            retryOrFail(error, retryAfter);
        } else if (status == 400 && BufferedAnswer.contextLengthExceeded(answer)
                && !config.routing().contextFallbacks().isEmpty()) {
            contextFallback(error);
        } else if (firstFailure != null && status >= 400 && status < 500 && status != 429) {
            fail(UpstreamErrors.fallbackRefused(firstFailure, route.target().name(), error));
        } else {
            fail(error);
        }
    }

    /** A 200 complete answer: repaired and sent, or turned into the stream the client asked for. */
    private void answered() {
        String tier = kind.choices ? ServiceTiers.wire(context.tier()) : null;
        if (stream && kind != CallKind.RESPONSES) {
            StreamNormalizer normalizer = new StreamNormalizer(clientWantsUsage, tier, rename());
            ByteBuf events = buffered.asStream(normalizer);
            if (events == null) {
                answerFailed(UpstreamErrors.notAnObject());
                return;
            }
            endAttempt(Outcome.OK, -1, false);
            recordUsage(normalizer.usage());
            if (normalizer.outputChunks() > 0) {
                exchange.markToken();
            }
            exchange.startStream(false);
            exchange.writeEvent(events);
            exchange.endStream();
            settle(Outcome.OK, new AnswerSummary(200, normalizer.finishReason(), normalizer.toolNames(),
                    normalizer.outputChars()));
            return;
        }
        // The Responses API's objects are passed on as they are: chat's repairs do not apply to them.
        ResponseRepair.Repaired answer = kind == CallKind.RESPONSES ? buffered.asIs()
                : buffered.repair(tier, kind.choices, rename());
        if (answer == null) {
            answerFailed(UpstreamErrors.notAnObject());
            return;
        }
        endAttempt(Outcome.OK, -1, false);
        recordUsage(answer.usage());
        if (answer.carriedOutput()) {
            exchange.markToken();
        }
        ByteBuf copy = mirror != null ? answer.body().retainedDuplicate() : null;
        exchange.respond(HttpResponseStatus.OK, answer.body());
        settle(Outcome.OK, null);
        if (copy != null) {
            mirror.primaryAnswered(copy);
        }
    }

    /** The stream ended cleanly. */
    private void succeeded() {
        endAttempt(Outcome.OK, -1, false);
        settle(Outcome.OK, relay.summary(200));
    }

    /** The answer cannot be passed on: another attempt when the client saw nothing yet, else the stream's end. */
    private void answerFailed(ApiError error) {
        endAttempt(Outcome.BAD_RESPONSE, -1, true);
        if (clientStarted()) {
            failed(error);
        } else {
            retryOrFail(error, -1);
        }
    }

    @Override
    public void onFailure(UpstreamAttempt a, Outcome outcome, Throwable cause) {
        if (a != attempt || done) {
            return;
        }
        LOG.debug("request {}: attempt {} at {} failed ({}): {}", exchange.requestId(), attempts,
                a.target().name(), outcome.wire(), cause == null ? "" : cause.toString());
        if (outcome == Outcome.SLOW_CLIENT) {
            slowClientTimedOut();
            return;
        }
        endAttempt(outcome, -1, true);
        if (clientStarted()) {
            failed(outcome == Outcome.TIMEOUT ? UpstreamErrors.stalledMidStream() : UpstreamErrors.lostMidStream());
            return;
        }
        retryOrFail(UpstreamErrors.exhausted(outcome.wire(), cause, head == null, config.id()), -1);
    }

    /**
     * After a failure before the client saw a byte: another target if one is usable (or the same one after a short
     * enough {@code retry-after}), within the attempt cap and the retry budget; else the client gets {@code error}.
     */
    private void retryOrFail(ApiError error, long retryAfterNanos) {
        if (firstFailure == null) {
            firstFailure = error;
        }
        lastFailure = error;
        RoutingConfig.Retry retry = config.routing().retry();
        if (attempts >= retry.maxAttempts()) {
            fail(error);
            return;
        }
        ModelRouter.Placement p = router.place(body.placing(new ModelRouter.Request(promptTokens, Set.copyOf(tried), 0,
                true)));
        if (p instanceof ModelRouter.Send s) {
            retryOn(s.route(), error);
            return;
        }
        if (retryAfterNanos > 0 && retryAfterNanos <= retry.maxRetryAfter().toNanos()) {
            String same = route.target().name();
            retryTimer = exchange.eventLoop().schedule(() -> retryAfterWaited(same),
                    retryAfterNanos + 2_000_000, TimeUnit.NANOSECONDS);
            return;
        }
        fail(error);
    }

    private void retryAfterWaited(String same) {
        retryTimer = null;
        if (done) {
            return;
        }
        Set<String> excluded = new LinkedHashSet<>(tried);
        excluded.remove(same);
        ModelRouter.Placement p = router.place(body.placing(new ModelRouter.Request(promptTokens, excluded, 0, true)));
        if (p instanceof ModelRouter.Send s) {
            retryOn(s.route(), lastFailure);
        } else {
            fail(lastFailure);
        }
    }

    private void retryOn(ModelRouter.Route next, ApiError error) {
        if (!router.tryRetry()) {
            router.release(next);
            LOG.debug("request {}: retry budget of {} spent", exchange.requestId(), config.id());
            fail(error);
            return;
        }
        attemptOn(next);
    }

    private void contextFallback(ApiError error) {
        var next = router.placeContextFallback(new ModelRouter.Request(promptTokens, Set.copyOf(tried), 0, true));
        if (next.isPresent() && attempts < config.routing().retry().maxAttempts()) {
            attemptOn(next.get());
        } else {
            next.ifPresent(router::release);
            fail(error);
        }
    }

    /** The slow-client timeout passed while the client's socket still held this stream's output. */
    private void slowClientTimedOut() {
        slowTimer = null;
        if (done) {
            return;
        }
        slowClient = true;
        exchange.log().error = "slow_client";
        exchange.abortConnection("client has not read its stream for " + lane.slowClientTimeout().toMillis()
                + " ms"); // the exchange's client-gone listener settles the call
    }

    private void cancelSlowTimer() {
        if (slowTimer != null) {
            slowTimer.cancel(false);
            slowTimer = null;
        }
    }

    /** The client went away (or was cut off as slow): stop the upstream call and give the slot back. */
    private void clientGone() {
        cancelled = true;
        if (done) {
            return;
        }
        Outcome outcome = slowClient ? Outcome.SLOW_CLIENT : Outcome.CANCELLED;
        if (attemptOpen) {
            endAttempt(outcome, -1, true);
        }
        done = true;
        finalOutcome = outcome;
        cleanup();
        if (ticket != null) {
            lane.dispatcher().cancel(ticket, started ? used() : ActualCost.NONE);
        }
        if (started) {
            lane.meters(route.target()).routing().served(outcome.wire(), attempts);
            meterTokens();
        }
        if (mirror != null) {
            mirror.primaryFailed(499);
        }
    }

    /** Ends the current attempt once: the router and the target's meters hear how it went; its slot is freed. */
    private void endAttempt(Outcome outcome, long retryAfterNanos, boolean abandon) {
        if (!attemptOpen) {
            return;
        }
        attemptOpen = false;
        if (abandon) {
            attempt.abandon();
        } else {
            attempt.finish();
        }
        long ttft = mode == Mode.STREAM && attempt.progressed() ? attempt.timeToFirstByte() : -1;
        router.record(route, outcome, ttft, retryAfterNanos);
        router.release(route);
        lane.meters(route.target()).upstream()
                .attempt(outcome.wire(), outcome.clientCaused() ? -1 : attempt.elapsed());
        if (mode == Mode.STREAM && !clientStarted()) {
            relay.close();
            relay = null;
        }
        if (buffered != null) {
            buffered.close();
            buffered = null;
        }
    }

    private boolean clientStarted() {
        return relay != null && relay.clientStarted();
    }

    /** The client gets {@code error} as a JSON answer (before any byte) or as its stream's last event. */
    private void fail(ApiError error) {
        exchange.fail(new ApiException(error));
        settle(Outcome.BAD_RESPONSE, AnswerSummary.failed(error.status()));
    }

    /** The client's stream began and cannot be failed over: it ends with {@code error}. */
    private void failed(ApiError error) {
        exchange.fail(new ApiException(error));
        settle(Outcome.BAD_RESPONSE, relay == null ? AnswerSummary.failed(error.status()) : relay.summary(error.status()));
    }

    /** The request is over: usage, meters, shadow comparison, and the ticket settled. */
    private void settle(Outcome outcome, AnswerSummary summary) {
        done = true;
        finalOutcome = outcome;
        if (relay != null && !relay.usage().equals(TokenUsage.NONE)) {
            recordUsage(relay.usage());
        }
        cleanup();
        String served = route.target().name();
        exchange.log().upstreamTarget = served;
        exchange.log().upstreamAttempts = attempts;
        lane.meters(route.target()).routing().served(outcome == Outcome.OK ? "ok" : "error", attempts);
        meterTokens();
        if (mirror != null && summary != null) {
            mirror.primaryDone(summary);
        }
        if (ticket != null) {
            lane.dispatcher().finished(ticket, used());
        }
    }

    /** The request's tokens, as settled, counted once for the target that served it (none when none answered). */
    private void meterTokens() {
        TokenUsage u = settledUsage(); // zero counts are not added
        lane.meters(route.target()).routing().tokens(u.promptTokens(), u.cachedTokens(), u.completionTokens());
    }

    /** The tokens the serving target reported: kept for settlement, and written to the request's log. */
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

    /** The name answers must carry in {@code model} when the current target renames the model, else null. */
    private String rename() {
        return route.target().model().filter(m -> !m.equals(config.id())).isPresent() ? config.id() : null;
    }

    private void cleanup() {
        cancelSlowTimer();
        if (retryTimer != null) {
            retryTimer.cancel(false);
            retryTimer = null;
        }
        if (relay != null) {
            relay.close();
        }
        if (buffered != null) {
            buffered.close();
            buffered = null;
        }
    }

    /** How the request ended, or null while it runs. */
    Outcome outcome() {
        return finalOutcome;
    }

    @Override
    public String toString() {
        return "UpstreamCall[" + exchange.requestId() + " " + kind + " attempt " + attempts + "]";
    }
}
