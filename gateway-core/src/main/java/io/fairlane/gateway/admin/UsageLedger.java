package io.fairlane.gateway.admin;

import io.fairlane.gateway.metrics.FairlaneMeter;
import io.fairlane.gateway.metrics.SloTracker;
import io.micrometer.core.instrument.Measurement;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Statistic;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * Reads tenants' usage from the gateway's own meters ({@code fairlane.requests}, {@code fairlane.tokens},
 * {@code fairlane.prefix.cache.*}) and SLO tracker, so the usage API and {@code /metrics} can never disagree.
 * Each call walks those meters once; meant for an operator's occasional call, not the request path.
 * Thread-safe (meters are).
 */
public final class UsageLedger {

    /** The {@code model} tag of requests that never reached a served model. */
    private static final String NO_MODEL = "none";

    private final MeterRegistry registry;
    private final SloTracker slos;

    public UsageLedger(MeterRegistry registry, SloTracker slos) {
        this.registry = Objects.requireNonNull(registry, "registry");
        this.slos = Objects.requireNonNull(slos, "slos");
    }

    /** Usage of each of {@code tenants}, in the order given; a tenant without traffic reads all zeros. */
    public List<TenantUsage> usage(Collection<String> tenants) {
        Map<String, Map<String, Tally>> byTenant = new LinkedHashMap<>();
        for (String t : tenants) {
            byTenant.put(t, new TreeMap<>());
        }
        for (Meter m : registry.find(FairlaneMeter.REQUESTS.meterName()).meters()) {
            Tally tally = tally(byTenant, m);
            if (tally != null) {
                tally.request(parseStatus(m.getId().getTag("status")), count(m));
            }
        }
        for (Meter m : registry.find(FairlaneMeter.TOKENS.meterName()).meters()) {
            Tally tally = tally(byTenant, m);
            if (tally != null) {
                tally.tokens(String.valueOf(m.getId().getTag("kind")), count(m));
            }
        }
        for (Meter m : registry.find(FairlaneMeter.PREFIX_CACHE_QUERIES.meterName()).meters()) {
            Tally tally = tally(byTenant, m);
            if (tally != null) {
                tally.queryTokens += count(m);
            }
        }
        for (Meter m : registry.find(FairlaneMeter.PREFIX_CACHE_HITS.meterName()).meters()) {
            Tally tally = tally(byTenant, m);
            if (tally != null) {
                tally.hitTokens += count(m);
            }
        }
        List<TenantUsage> out = new ArrayList<>(byTenant.size());
        for (Map.Entry<String, Map<String, Tally>> e : byTenant.entrySet()) {
            Tally total = new Tally();
            List<TenantUsage.ModelUsage> models = new ArrayList<>();
            for (Map.Entry<String, Tally> model : e.getValue().entrySet()) {
                total.add(model.getValue());
                if (!model.getKey().equals(NO_MODEL)) {
                    Tally t = model.getValue();
                    models.add(new TenantUsage.ModelUsage(model.getKey(), t.requests(), t.tokens(), t.prefixCache()));
                }
            }
            out.add(new TenantUsage(e.getKey(), total.requests(), total.tokens(), total.prefixCache(), models,
                    slos.status(e.getKey())));
        }
        return out;
    }

    private static Tally tally(Map<String, Map<String, Tally>> byTenant, Meter m) {
        Map<String, Tally> models = byTenant.get(m.getId().getTag("tenant"));
        if (models == null) {
            return null;
        }
        String model = m.getId().getTag("model");
        return models.computeIfAbsent(model == null ? NO_MODEL : model, k -> new Tally());
    }

    private static int parseStatus(String status) {
        try {
            return status == null ? 0 : Integer.parseInt(status);
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    /** A counter's or function counter's count. */
    private static long count(Meter m) {
        for (Measurement x : m.measure()) {
            if (x.getStatistic() == Statistic.COUNT) {
                return Math.round(x.getValue());
            }
        }
        return 0;
    }

    /** Running sums for one (tenant, model); confined to one {@link #usage} call. */
    private static final class Tally {
        long succeeded;
        long rateLimited;
        long clientErrors;
        long clientClosed;
        long serverErrors;
        long prompt;
        long cached;
        long completion;
        long queryTokens;
        long hitTokens;

        void request(int status, long n) {
            if (status >= 500) {
                serverErrors += n;
            } else if (status == 499) {
                clientClosed += n;
            } else if (status == 429) {
                rateLimited += n;
            } else if (status >= 400) {
                clientErrors += n;
            } else {
                succeeded += n;
            }
        }

        void tokens(String kind, long n) {
            switch (kind) {
                case "prompt" -> prompt += n;
                case "cached" -> cached += n;
                case "completion" -> completion += n;
                default -> {
                }
            }
        }

        void add(Tally o) {
            succeeded += o.succeeded;
            rateLimited += o.rateLimited;
            clientErrors += o.clientErrors;
            clientClosed += o.clientClosed;
            serverErrors += o.serverErrors;
            prompt += o.prompt;
            cached += o.cached;
            completion += o.completion;
            queryTokens += o.queryTokens;
            hitTokens += o.hitTokens;
        }

        TenantUsage.Requests requests() {
            return new TenantUsage.Requests(succeeded, rateLimited, clientErrors, clientClosed, serverErrors);
        }

        TenantUsage.Tokens tokens() {
            return new TenantUsage.Tokens(prompt, cached, completion);
        }

        TenantUsage.PrefixCache prefixCache() {
            return new TenantUsage.PrefixCache(queryTokens, hitTokens);
        }
    }
}
