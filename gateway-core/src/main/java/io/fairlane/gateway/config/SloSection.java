package io.fairlane.gateway.config;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.slo.SloSpec;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads a tenant's {@code slos} list, apart from {@link ConfigLoader} so that the loader stays a table of sections:
 * the rules of an SLO (which metrics exist, which need a threshold, an objective below 1) live here.
 */
final class SloSection {

    private SloSection() {
    }

    /**
     * A tenant's SLOs, each either a mapping ({@code {name: ttft, metric: ttft, threshold: 500ms,
     * objective: 0.99}}) or the one-line expression of {@link SloSpec#parse} ({@code "ttft <= 500ms for 99%"}).
     * Metrics: {@code ttft}, {@code itl}, {@code e2e}, {@code queue_time} (latency, threshold required) and
     * {@code errors} (also spelled {@code availability}).
     */
    static List<SloSpec> read(ConfigNode tenant, List<ConfigError> errors) {
        List<SloSpec> out = new ArrayList<>();
        Set<String> names = new HashSet<>();
        for (Map.Entry<String, JsonNode> item : tenant.items("slos")) {
            String path = item.getKey();
            JsonNode node = item.getValue();
            SloSpec spec = null;
            if (node.isTextual()) {
                try {
                    spec = SloSpec.parse(node.asText());
                } catch (IllegalArgumentException e) {
                    errors.add(new ConfigError(path, e.getMessage()));
                }
            } else if (node.isObject()) {
                spec = slo(new ConfigNode(node, path, errors));
            } else {
                errors.add(new ConfigError(path, "expected a mapping or an expression like 'ttft <= 500ms for 99%', got "
                        + ConfigNode.kind(node)));
            }
            if (spec != null && !names.add(spec.name())) {
                errors.add(new ConfigError(path, "duplicate SLO name '" + spec.name() + "' for this tenant"));
            } else if (spec != null) {
                out.add(spec);
            }
        }
        return out;
    }

    private static SloSpec slo(ConfigNode s) {
        String metric = s.requiredString("metric");
        String name = s.string("name", metric);
        Duration threshold = s.duration("threshold", null);
        if (!s.has("objective")) {
            s.error("objective", "is required (e.g. 0.99)");
        }
        double objective = s.number("objective", 0.99, 0, 1, true);
        if (objective >= 1) {
            s.error("objective", "must be below 1 (an objective of 1 leaves no error budget)");
            objective = 0.99;
        }
        s.finish();
        if (metric == null) {
            return null;
        }
        boolean availability = metric.equals("errors") || metric.equals("availability");
        if (!availability && !List.of("ttft", "itl", "e2e", "queue_time").contains(metric)) {
            s.error("metric", "unknown metric '" + metric + "'; expected ttft, itl, e2e, queue_time or errors");
            return null;
        }
        if (!availability && threshold == null) {
            s.error("threshold", "is required for a latency SLO (e.g. 500ms)");
            return null;
        }
        if (availability && threshold != null) {
            s.error("threshold", "has no meaning for an errors SLO; remove it");
            return null;
        }
        try {
            return SloSpec.of(name, metric, threshold, objective);
        } catch (IllegalArgumentException e) {
            s.error(null, e.getMessage());
            return null;
        }
    }
}
