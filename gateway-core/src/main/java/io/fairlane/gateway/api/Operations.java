package io.fairlane.gateway.api;

import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.ServerState;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.nio.charset.StandardCharsets;

/**
 * Unauthenticated operational endpoints: liveness, readiness (false while starting and draining) and
 * the Prometheus scrape.
 */
public final class Operations {

    private Operations() {
    }

    public static HttpHandler live() {
        return exchange -> {
            exchange.log().endpoint = "health";
            exchange.respond(HttpResponseStatus.OK, Unpooled.copiedBuffer("{\"status\":\"ok\"}", StandardCharsets.UTF_8));
        };
    }

    public static HttpHandler ready(ServerState state) {
        return exchange -> {
            exchange.log().endpoint = "health";
            boolean ready = state.isReady();
            exchange.respond(ready ? HttpResponseStatus.OK : HttpResponseStatus.SERVICE_UNAVAILABLE,
                    Unpooled.copiedBuffer(ready ? "{\"status\":\"ready\"}" : "{\"status\":\"not_ready\"}",
                            StandardCharsets.UTF_8));
        };
    }

    public static HttpHandler metrics(PrometheusMeterRegistry registry) {
        return exchange -> {
            exchange.log().endpoint = "metrics";
            exchange.respond(HttpResponseStatus.OK, Unpooled.copiedBuffer(registry.scrape(), StandardCharsets.UTF_8),
                    "text/plain; version=0.0.4; charset=utf-8");
        };
    }
}
