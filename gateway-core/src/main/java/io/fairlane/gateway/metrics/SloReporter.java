package io.fairlane.gateway.metrics;

import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.RequestLog;
import io.fairlane.gateway.slo.RequestOutcome;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * The decorator that reports each finished generation or embedding request to the {@link SloTracker}, once,
 * from what its {@link RequestLog} recorded. This is where the request path decides what an SLO counts:
 *
 * <ul>
 *   <li>answered (status below 400): {@link RequestOutcome.Completed} with its end-to-end time, time to first
 *       token, mean inter-token latency and queue time, each where it was measured;</li>
 *   <li>failed on our side: every 5xx (server faults, upstream failures, upstream and engine timeouts, an
 *       engine or upstream that went away) and every stream that ended in an error event (the status its
 *       error maps to, 5xx for all of ours), plus an upstream's own 429 (its capacity, not the tenant's
 *       limit): {@link RequestOutcome.Failed};</li>
 *   <li>the client left first (499): {@link RequestOutcome.Abandoned}, which counts only what was already
 *       settled (a threshold already passed is bad);</li>
 *   <li>anything else the tenant got wrong (4xx, its own rate and queue limits included): not reported.</li>
 * </ul>
 *
 * <p>Only requests that reached a lane are reported (the model was resolved and the tenant authenticated);
 * model listings, health checks, scrapes and admin calls never are.
 */
public final class SloReporter implements Function<HttpHandler, HttpHandler> {

    /** Endpoints whose requests SLOs judge. */
    private static final Set<String> JUDGED = Set.of("chat", "responses", "completions", "embeddings");
    /** The status the gateway logs for a request whose client left first. */
    static final int CLIENT_CLOSED = 499;

    private final SloTracker tracker;

    public SloReporter(SloTracker tracker) {
        this.tracker = Objects.requireNonNull(tracker, "tracker");
    }

    @Override
    public HttpHandler apply(HttpHandler next) {
        return exchange -> {
            exchange.onDone(this::report);
            next.serve(exchange);
        };
    }

    private void report(Exchange exchange) {
        RequestLog log = exchange.log();
        if (log.tenant == null || !tracker.tenants().contains(log.tenant)) {
            return; // a tenant without SLOs: nothing to tell, and nothing to build per request
        }
        outcome(log).ifPresent(outcome -> tracker.record(log.tenant, outcome));
    }

    /** What the SLOs of {@code log}'s tenant are told about it, or empty when they are told nothing. */
    static Optional<RequestOutcome> outcome(RequestLog log) {
        if (log.tenant == null || log.model == null || !JUDGED.contains(log.endpoint)) {
            return Optional.empty();
        }
        boolean generates = !"embeddings".equals(log.endpoint);
        if (log.status >= 500 || log.upstreamThrottled) {
            return Optional.of(new RequestOutcome.Failed(generates));
        }
        Optional<Duration> ttft = generates ? measured(log.ttftNanos) : Optional.empty();
        Optional<Duration> itl = generates ? measured(log.meanInterTokenNanos()) : Optional.empty();
        Optional<Duration> queue = measured(log.queueNanos);
        if (log.status == CLIENT_CLOSED) {
            return Optional.of(new RequestOutcome.Abandoned(Duration.ofNanos(Math.max(0, log.durationNanos)),
                    generates, ttft, itl, queue));
        }
        if (log.status >= 400 || log.status == 0) {
            return Optional.empty();
        }
        return Optional.of(new RequestOutcome.Completed(Duration.ofNanos(Math.max(0, log.durationNanos)), ttft, itl,
                queue));
    }

    private static Optional<Duration> measured(long nanos) {
        return nanos >= 0 ? Optional.of(Duration.ofNanos(nanos)) : Optional.empty();
    }
}
