package io.fairlane.gateway.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.RoutingConfig;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.lane.routing.ModelRouter;
import io.fairlane.gateway.lane.routing.RoutingExplainer;
import io.fairlane.gateway.lane.routing.RoutingSnapshot;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code GET /admin/routing[?model=ID][&explain=true]}: the live routing state of every upstream model (or one), as
 * JSON:
 *
 * <pre>
 * {"object": "list", "data": [{"object": "routing.model", "model": "gpt-4o",
 *   "groups": [{"name", "saturation": {"in_flight", "queue_wait_ms", "ttft_p99_ms", "window_ms"},
 *               "targets": [{"name", "url", "model", "weight", "share", "max_concurrency", "in_flight",
 *                            "state", "ejected_for_ms", "throttled_for_ms", "ejections", "consecutive_failures",
 *                            "failure_ratio", "window_attempts", "ttft_p99_ms", "saturated", "context_window"}]}],
 *   "retry": {"max_attempts", "budget_ratio", "min_retries_per_second", "window_requests", "window_retries",
 *             "window_allowed"},
 *   "shadow": {"target", "url", "sample_rate", "tenants"} or null}]}
 * </pre>
 *
 * {@code state} is {@code serving}, {@code probing}, {@code throttled}, {@code failing} (kept as the last usable
 * target), {@code ejected}, {@code drained} (weight 0) or {@code context_fallback} (weight 0, taking only requests
 * another target refused as too long). With {@code explain=true} the answer is the decision path in words
 * ({@link RoutingExplainer}), as {@code fairlane route} prints it. Runs behind {@link AdminAuthenticator}.
 */
public final class RoutingApi {

    private static final Set<String> PARAMETERS = Set.of("model", "explain");

    private final Supplier<List<ModelRouter>> routers;

    /** @param routers the upstream models' routers now (read per request: reloads apply) */
    public RoutingApi(Supplier<List<ModelRouter>> routers) {
        this.routers = Objects.requireNonNull(routers, "routers");
    }

    public HttpHandler handler() {
        return exchange -> {
            Map<String, List<String>> params = parameters(exchange.uri());
            List<ModelRouter> selected = select(params.getOrDefault("model", List.of()));
            if (List.of("true").equals(params.get("explain"))) {
                StringBuilder sb = new StringBuilder();
                for (ModelRouter r : selected) {
                    sb.append(RoutingExplainer.explain(r, null, 0));
                }
                exchange.respond(HttpResponseStatus.OK, Unpooled.copiedBuffer(sb, StandardCharsets.UTF_8),
                        "text/plain; charset=utf-8");
                return;
            }
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("object", "list");
            ArrayNode data = body.putArray("data");
            for (ModelRouter r : selected) {
                data.add(json(r.snapshot()));
            }
            exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
        };
    }

    private static Map<String, List<String>> parameters(String uri) {
        Map<String, List<String>> p;
        try {
            p = new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException e) {
            throw new ApiException(new ApiError(400, "The query string is not valid percent-encoding.",
                    "invalid_request_error", null, "malformed_query"));
        }
        for (String name : p.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new ApiException(new ApiError(400, "Unrecognized request argument supplied: " + name
                        + ". /admin/routing takes 'model' and 'explain'.", "invalid_request_error", name,
                        "unknown_parameter"));
            }
        }
        List<String> explain = p.get("explain");
        if (explain != null && !List.of("true").equals(explain) && !List.of("false").equals(explain)) {
            throw new ApiException(new ApiError(400, "Invalid 'explain': expected true or false.",
                    "invalid_request_error", "explain", "invalid_value"));
        }
        return p;
    }

    private List<ModelRouter> select(List<String> models) {
        List<ModelRouter> all = routers.get();
        if (models.isEmpty()) {
            return all;
        }
        for (String m : models) {
            if (all.stream().noneMatch(r -> r.model().equals(m))) {
                throw new ApiException(new ApiError(404, "No upstream model '" + (m.length() > 128
                        ? m.substring(0, 128) + "..." : m) + "' is configured.", "invalid_request_error", "model",
                        "model_not_found"));
            }
        }
        return all.stream().filter(r -> models.contains(r.model())).toList();
    }

    static ObjectNode json(RoutingSnapshot s) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("object", "routing.model");
        n.put("model", s.model());
        ArrayNode groups = n.putArray("groups");
        for (RoutingSnapshot.GroupState g : s.groups()) {
            ObjectNode gn = groups.addObject();
            gn.put("name", g.name());
            ObjectNode sat = gn.putObject("saturation");
            sat.put("in_flight", g.saturation().inFlight());
            g.saturation().queueWait().ifPresentOrElse(d -> sat.put("queue_wait_ms", d.toMillis()),
                    () -> sat.putNull("queue_wait_ms"));
            g.saturation().ttftP99().ifPresentOrElse(d -> sat.put("ttft_p99_ms", d.toMillis()),
                    () -> sat.putNull("ttft_p99_ms"));
            sat.put("window_ms", g.saturation().window().toMillis());
            ArrayNode targets = gn.putArray("targets");
            for (RoutingSnapshot.TargetView v : g.targets()) {
                targets.add(target(v));
            }
        }
        RoutingConfig.Retry retry = s.config().retry();
        n.putObject("retry").put("max_attempts", retry.maxAttempts()).put("budget_ratio", retry.budgetRatio())
                .put("min_retries_per_second", retry.minPerSecond()).put("window_requests", s.budgetRequests())
                .put("window_retries", s.budgetRetries()).put("window_allowed", (long) s.budgetAllowed());
        s.config().shadow().ifPresentOrElse(sh -> {
            ObjectNode o = n.putObject("shadow");
            o.put("target", sh.target().name());
            o.put("url", sh.target().url().toString());
            o.put("sample_rate", sh.sampleRate());
            ArrayNode tenants = o.putArray("tenants");
            sh.tenants().stream().sorted().forEach(tenants::add);
        }, () -> n.putNull("shadow"));
        return n;
    }

    private static ObjectNode target(RoutingSnapshot.TargetView v) {
        Target t = v.target();
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("name", t.name());
        o.put("url", t.url().toString());
        if (t.model().isPresent()) {
            o.put("model", t.model().get());
        } else {
            o.putNull("model");
        }
        o.put("weight", t.weight());
        o.put("share", v.share());
        o.put("max_concurrency", t.maxConcurrency());
        o.put("in_flight", v.inFlight());
        o.put("state", v.state());
        o.put("ejected_for_ms", v.ejectedForMillis());
        o.put("throttled_for_ms", v.throttledForMillis());
        o.put("ejections", v.ejections());
        o.put("consecutive_failures", v.consecutiveFailures());
        o.put("failure_ratio", v.failureRatio());
        o.put("window_attempts", v.windowAttempts());
        if (v.ttftP99Millis() >= 0) {
            o.put("ttft_p99_ms", v.ttftP99Millis());
        } else {
            o.putNull("ttft_p99_ms");
        }
        if (v.hot() != null) {
            o.put("saturated", v.hot());
        } else {
            o.putNull("saturated");
        }
        o.put("context_window", t.contextWindow());
        return o;
    }
}
