package io.fairlane.gateway.admin;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.slo.SloStatus;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Clock;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.function.Supplier;

/**
 * {@code GET /admin/usage[?tenant=ID[&tenant=ID...]]}: every configured tenant's usage (or the named
 * ones'), as JSON:
 *
 * <pre>
 * {"object": "list", "since": 1727346172, "created": 1727349772,
 *  "data": [{"object": "tenant.usage", "tenant": "team-a",
 *            "requests": {"total", "succeeded", "rate_limited", "client_errors", "client_closed", "server_errors"},
 *            "tokens": {"prompt", "cached", "completion", "total"},
 *            "prefix_cache": {"query_tokens", "hit_tokens", "hit_ratio"},
 *            "models": [{"model", "requests", "tokens", "prefix_cache"}],
 *            "slos": [{"name", "expression", "objective", "alerting",
 *                      "windows": [{"window", "good", "bad", "burn_rate"}]}]}]}
 * </pre>
 *
 * Counts are this replica's since {@code since} (epoch seconds); {@code hit_ratio} is null before the first
 * lookup; {@code alerting} is {@code none}, {@code slow_burn} or {@code fast_burn}. Runs behind
 * {@link AdminAuthenticator}.
 */
public final class UsageApi {

    private static final Set<String> PARAMETERS = Set.of("tenant");

    private final UsageLedger ledger;
    private final Supplier<List<String>> tenants;
    private final Clock clock;
    private final long since;

    /**
     * @param ledger  where the counts come from
     * @param tenants the configured tenants' ids, in config order (read per request: reloads apply)
     * @param clock   for the {@code created} time
     */
    public UsageApi(UsageLedger ledger, Supplier<List<String>> tenants, Clock clock) {
        this.ledger = Objects.requireNonNull(ledger, "ledger");
        this.tenants = Objects.requireNonNull(tenants, "tenants");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.since = clock.instant().getEpochSecond();
    }

    public HttpHandler handler() {
        return exchange -> {
            List<String> wanted = selectedTenants(parameters(exchange.uri()));
            ObjectNode body = Json.MAPPER.createObjectNode();
            body.put("object", "list");
            body.put("since", since);
            body.put("created", clock.instant().getEpochSecond());
            ArrayNode data = body.putArray("data");
            for (TenantUsage usage : ledger.usage(wanted)) {
                data.add(json(usage));
            }
            exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
        };
    }

    private static Map<String, List<String>> parameters(String uri) {
        try {
            return new QueryStringDecoder(uri).parameters();
        } catch (IllegalArgumentException e) {
            throw new ApiException(new ApiError(400, "The query string is not valid percent-encoding.",
                    "invalid_request_error", null, "malformed_query"));
        }
    }

    /** The tenants asked for, validated: all configured ones when none is named. */
    List<String> selectedTenants(Map<String, List<String>> parameters) {
        for (String name : parameters.keySet()) {
            if (!PARAMETERS.contains(name)) {
                throw new ApiException(new ApiError(400, "Unrecognized request argument supplied: " + name
                        + ". /admin/usage takes only 'tenant'.", "invalid_request_error", name, "unknown_parameter"));
            }
        }
        List<String> configured = tenants.get();
        List<String> named = parameters.getOrDefault("tenant", List.of());
        if (named.isEmpty()) {
            return configured;
        }
        Set<String> selected = new LinkedHashSet<>();
        for (String id : named) {
            if (id.isBlank()) {
                throw new ApiException(new ApiError(400, "Invalid 'tenant': empty string. Name a configured tenant id.",
                        "invalid_request_error", "tenant", "empty_string"));
            }
            if (!configured.contains(id)) {
                throw new ApiException(new ApiError(404, "No tenant '" + abbreviate(id) + "' is configured.",
                        "invalid_request_error", "tenant", "tenant_not_found"));
            }
            selected.add(id);
        }
        return List.copyOf(selected);
    }

    private static String abbreviate(String s) {
        return s.length() <= 128 ? s : s.substring(0, 128) + "...";
    }

    static ObjectNode json(TenantUsage u) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("object", "tenant.usage");
        n.put("tenant", u.tenant());
        counts(n, u.requests(), u.tokens(), u.prefixCache());
        ArrayNode models = n.putArray("models");
        for (TenantUsage.ModelUsage m : u.models()) {
            ObjectNode mn = models.addObject();
            mn.put("model", m.model());
            counts(mn, m.requests(), m.tokens(), m.prefixCache());
        }
        ArrayNode slos = n.putArray("slos");
        for (SloStatus s : u.slos()) {
            ObjectNode sn = slos.addObject();
            sn.put("name", s.slo());
            sn.put("expression", s.expression());
            sn.put("objective", s.objective());
            sn.put("alerting", s.alert().wireName());
            ArrayNode windows = sn.putArray("windows");
            for (SloStatus.Window w : s.windows()) {
                windows.addObject().put("window", w.window()).put("good", w.good()).put("bad", w.bad())
                        .put("burn_rate", w.burnRate());
            }
        }
        return n;
    }

    private static void counts(ObjectNode n, TenantUsage.Requests r, TenantUsage.Tokens t, TenantUsage.PrefixCache c) {
        n.putObject("requests").put("total", r.total()).put("succeeded", r.succeeded())
                .put("rate_limited", r.rateLimited()).put("client_errors", r.clientErrors())
                .put("client_closed", r.clientClosed()).put("server_errors", r.serverErrors());
        n.putObject("tokens").put("prompt", t.prompt()).put("cached", t.cached()).put("completion", t.completion())
                .put("total", t.total());
        ObjectNode cache = n.putObject("prefix_cache").put("query_tokens", c.queryTokens()).put("hit_tokens", c.hitTokens());
        if (c.hitRatio().isPresent()) {
            cache.put("hit_ratio", c.hitRatio().getAsDouble());
        } else {
            cache.putNull("hit_ratio");
        }
    }
}
