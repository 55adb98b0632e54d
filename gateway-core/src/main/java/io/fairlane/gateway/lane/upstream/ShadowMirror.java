package io.fairlane.gateway.lane.upstream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.RoutingConfig.Shadow;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.lane.routing.Outcome;
import io.fairlane.gateway.metrics.RoutingMeters;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.LastHttpContent;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.random.RandomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Shadow traffic for one model: a sample of its requests (and every request of the tenants that opted in) is sent
 * to the shadow target as well, fire-and-forget. The copy leaves after the primary attempt started, on the same
 * event loop, and nothing flows back: the client's answer never waits for it and never sees it, and a failing or
 * slow shadow changes nothing but its meters. When both answers are in, their status, finish reason, tool-call
 * names, output length and latency are compared ({@link RoutingMeters}); the comparison runs on a virtual thread.
 *
 * <p>Thread-safe: sampling and the in-flight count are atomic; each {@link Mirror} sends on the exchange's loop and
 * joins the two answers under its own lock.
 */
final class ShadowMirror {

    private static final Logger LOG = LoggerFactory.getLogger(ShadowMirror.class);
    private static final int MAX_SHADOW_BYTES = 8 * 1024 * 1024;

    private final UpstreamModelConfig config;
    private final Shadow shadow;
    private final UpstreamClient client;
    private final RoutingMeters meters;
    private final RandomGenerator random;
    private final AtomicInteger inFlight = new AtomicInteger();

    ShadowMirror(UpstreamModelConfig config, UpstreamClient client, RoutingMeters meters, RandomGenerator random) {
        this.config = config;
        this.shadow = config.routing().shadow().orElse(null);
        this.client = client;
        this.meters = meters;
        this.random = random;
    }

    /** Mirrors the request when it is sampled; null when it is not (or too many mirrors run already). */
    Mirror start(Exchange exchange, RequestContext context, ForwardedBody body, boolean stream) {
        if (shadow == null || !(shadow.optedIn(context.tenant().id()) || random.nextDouble() < shadow.sampleRate())) {
            return null;
        }
        if (inFlight.incrementAndGet() > shadow.maxConcurrency()) {
            inFlight.decrementAndGet();
            meters.shadow(config.id(), "skipped");
            return null;
        }
        Mirror m;
        try {
            m = new Mirror(exchange, body.request(config, shadow.target()), stream);
        } catch (RuntimeException e) {
            inFlight.decrementAndGet();
            LOG.debug("shadow request for {} not built", exchange.requestId(), e);
            return null;
        }
        if (!exchange.tryExecute(m::send)) {
            m.abandon();
            return null;
        }
        return m;
    }

    /** One mirrored request: the shadow's attempt, and the primary's answer once known. */
    final class Mirror implements UpstreamAttempt.Handler {

        private final Exchange exchange;
        private final FullHttpRequest request;
        private final boolean stream;
        private final long startNanos = System.nanoTime();
        private UpstreamAttempt attempt;
        private int status;
        private ByteBuf body;
        private volatile boolean ended;
        private boolean requestReleased;
        private AnswerSummary primary;
        private long primaryNanos;
        private AnswerSummary mirrored;
        private long mirroredNanos;

        private Mirror(Exchange exchange, FullHttpRequest request, boolean stream) {
            this.exchange = exchange;
            this.request = request;
            this.stream = stream;
        }

        /** On the exchange's loop, after the primary attempt started. */
        private void send() {
            body = exchange.alloc().buffer(1024);
            attempt = new UpstreamAttempt(client, exchange.eventLoop(), shadow.target(), request::retainedDuplicate,
                    this);
            try {
                attempt.start();
            } catch (RuntimeException e) {
                LOG.debug("shadow request for {} failed to start", exchange.requestId(), e);
                shadowEnded("failed", AnswerSummary.failed(0));
            }
        }

        @Override
        public void onHead(UpstreamAttempt a, HttpResponse head) {
            status = head.status().code();
            a.progress();
            a.read();
        }

        @Override
        public void onContent(UpstreamAttempt a, HttpContent content) {
            try {
                if (ended) {
                    return;
                }
                if (body.readableBytes() + content.content().readableBytes() > MAX_SHADOW_BYTES) {
                    a.abandon();
                    shadowEnded("dropped", AnswerSummary.failed(status));
                    return;
                }
                body.writeBytes(content.content());
                a.progress();
                if (content instanceof LastHttpContent) {
                    a.finish();
                    byte[] bytes = ByteBufUtil.getBytes(body);
                    int s = status;
                    long nanos = System.nanoTime() - startNanos;
                    release();
                    Thread.ofVirtual().name("shadow-compare").start(() -> {
                        AnswerSummary summary = s == 200 ? summarise(bytes, stream) : AnswerSummary.failed(s);
                        shadowEnded(s >= 200 && s < 300 ? "ok" : "error", summary, nanos);
                    });
                    ended = true;
                } else {
                    a.read();
                }
            } finally {
                content.release();
            }
        }

        @Override
        public void onFailure(UpstreamAttempt a, Outcome outcome, Throwable cause) {
            shadowEnded(outcome == Outcome.TIMEOUT ? "timeout" : "failed", AnswerSummary.failed(0));
        }

        /** The primary's answer, summarised by the call (a stream, or a failure). */
        void primaryDone(AnswerSummary summary) {
            primaryEnded(summary, System.nanoTime() - startNanos);
        }

        /** The primary's complete JSON answer (this mirror releases the copy), summarised off the loop. */
        void primaryAnswered(ByteBuf copy) {
            long nanos = System.nanoTime() - startNanos;
            byte[] bytes;
            try {
                bytes = ByteBufUtil.getBytes(copy);
            } finally {
                copy.release();
            }
            Thread.ofVirtual().name("shadow-compare").start(() -> primaryEnded(summarise(bytes, false), nanos));
        }

        /** The primary failed with {@code status} (499: the client left). */
        void primaryFailed(int status) {
            primaryEnded(AnswerSummary.failed(status), System.nanoTime() - startNanos);
        }

        private void shadowEnded(String outcome, AnswerSummary summary) {
            shadowEnded(outcome, summary, System.nanoTime() - startNanos);
        }

        private void shadowEnded(String outcome, AnswerSummary summary, long nanos) {
            boolean first;
            synchronized (this) {
                if (mirrored != null) {
                    return;
                }
                mirrored = summary;
                mirroredNanos = nanos;
                first = primary == null;
            }
            ended = true;
            inFlight.decrementAndGet();
            meters.shadow(config.id(), outcome);
            exchange.tryExecute(this::release);
            if (!first) {
                compare();
            }
        }

        private void primaryEnded(AnswerSummary summary, long nanos) {
            boolean shadowDone;
            synchronized (this) {
                if (primary != null) {
                    return;
                }
                primary = summary;
                primaryNanos = nanos;
                shadowDone = mirrored != null;
            }
            if (shadowDone) {
                compare();
            }
        }

        private void compare() {
            AnswerSummary p;
            AnswerSummary s;
            synchronized (this) {
                p = primary;
                s = mirrored;
            }
            String model = config.id();
            meters.shadowLatency(model, "primary", primaryNanos);
            if (s.status() != 0) {
                meters.shadowLatency(model, "shadow", mirroredNanos);
            }
            meters.shadowCompare(model, "status", p.status() == s.status());
            if (p.status() == 200 && s.status() == 200) {
                meters.shadowCompare(model, "finish_reason", Objects.equals(p.finishReason(), s.finishReason()));
                meters.shadowCompare(model, "tool_calls", p.toolNames().equals(s.toolNames()));
                meters.shadowOutputRatio(model, (double) s.outputChars() / Math.max(1, p.outputChars()));
            }
        }

        /** Frees what the mirror holds; on the exchange's loop. */
        private void release() {
            if (body != null) {
                body.release();
                body = null;
            }
            if (!requestReleased) {
                requestReleased = true;
                request.release();
            }
        }

        private void abandon() {
            inFlight.decrementAndGet();
            release();
        }
    }

    /** The finish reason, tool names and output length of a complete answer or an event stream's text. */
    static AnswerSummary summarise(byte[] bytes, boolean stream) {
        if (!stream) {
            try {
                JsonNode n = UpstreamJson.MAPPER.readTree(bytes);
                JsonNode choice = n.path("choices").path(0);
                JsonNode message = choice.path("message");
                List<String> tools = new ArrayList<>();
                long chars = message.path("content").asText("").length() + choice.path("text").asText("").length();
                for (JsonNode call : message.path("tool_calls")) {
                    tools.add(call.path("function").path("name").asText(""));
                    chars += call.path("function").path("arguments").asText("").length();
                }
                String finish = choice.path("finish_reason").isTextual() ? choice.get("finish_reason").asText() : null;
                return new AnswerSummary(200, finish, tools, chars);
            } catch (IOException e) {
                return AnswerSummary.failed(200);
            }
        }
        StreamNormalizer n = new StreamNormalizer(true, null);
        try (SseDecoder sse = new SseDecoder(io.netty.buffer.UnpooledByteBufAllocator.DEFAULT, MAX_SHADOW_BYTES)) {
            List<SseDecoder.Event> events = new ArrayList<>(sse.feed(Unpooled.wrappedBuffer(bytes)));
            events.addAll(sse.finish());
            for (SseDecoder.Event e : events) {
                if (e.data().equals("[DONE]")) {
                    continue;
                }
                if (UpstreamJson.MAPPER.readTree(e.bytes()) instanceof ObjectNode chunk) {
                    n.normalize(chunk);
                }
            }
        } catch (IOException | RuntimeException e) {
            return AnswerSummary.failed(200);
        }
        return new AnswerSummary(200, n.finishReason(), n.toolNames(), n.outputChars());
    }
}
