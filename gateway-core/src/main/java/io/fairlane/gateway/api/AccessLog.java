package io.fairlane.gateway.api;

import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.RequestLog;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One line per request on the {@code fairlane.access} logger: request id, method and path, tenant, model,
 * endpoint, status, stream, tier, the upstream target that served and its attempts, queue time, TTFT, tokens,
 * duration and error code. Never prompt or completion text.
 */
public final class AccessLog implements Function<HttpHandler, HttpHandler> {

    private static final Logger LOG = LoggerFactory.getLogger("fairlane.access");

    @Override
    public HttpHandler apply(HttpHandler next) {
        return exchange -> {
            if (LOG.isInfoEnabled()) {
                exchange.onDone(AccessLog::log);
            }
            next.serve(exchange);
        };
    }

    static String line(Exchange e) {
        RequestLog l = e.log();
        StringBuilder sb = new StringBuilder(192);
        sb.append("rid=").append(e.requestId())
                .append(" method=").append(e.method())
                .append(" path=").append(e.path())
                .append(" status=").append(l.status)
                .append(" tenant=").append(l.tenant == null ? "-" : l.tenant)
                .append(" model=").append(l.model == null ? "-" : l.model)
                .append(" endpoint=").append(l.endpoint)
                .append(" stream=").append(l.stream);
        if (l.serviceTier != null) {
            sb.append(" tier=").append(l.serviceTier);
        }
        if (l.upstreamTarget != null) {
            sb.append(" target=").append(l.upstreamTarget).append(" attempts=").append(l.upstreamAttempts);
        }
        if (l.queueNanos >= 0) {
            sb.append(" queue_ms=").append(ms(l.queueNanos));
        }
        if (l.ttftNanos >= 0) {
            sb.append(" ttft_ms=").append(ms(l.ttftNanos));
        }
        sb.append(" prompt_tokens=").append(l.promptTokens)
                .append(" cached_tokens=").append(l.cachedTokens)
                .append(" completion_tokens=").append(l.completionTokens)
                .append(" duration_ms=").append(ms(l.durationNanos));
        if (l.error != null) {
            sb.append(" error=").append(l.error);
        }
        return sb.toString();
    }

    private static void log(Exchange e) {
        LOG.info(line(e));
    }

    private static String ms(long nanos) {
        return String.format(java.util.Locale.ROOT, "%.1f", nanos / 1e6);
    }
}
