package io.fairlane.gateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** The Grafana dashboard's panels and their PromQL, read from docker/grafana/dashboards/fairlane.json. */
final class DashboardQueries {

    static final Path DASHBOARD = ProjectFiles.docker().resolve("grafana/dashboards/fairlane.json");

    /** One query of one panel. */
    record Query(String panel, String expr) {
        /** The expression with Grafana's variables replaced as a Grafana showing all tenants and models would. */
        String concrete(String rateInterval) {
            return expr.replace("$__rate_interval", rateInterval).replace("$tenant", ".*").replace("$model", ".*");
        }
    }

    private DashboardQueries() {
    }

    static JsonNode dashboard() throws IOException {
        return new ObjectMapper().readTree(DASHBOARD.toFile());
    }

    /** Every non-row panel, in order. */
    static List<JsonNode> panels() throws IOException {
        List<JsonNode> panels = new ArrayList<>();
        for (JsonNode panel : dashboard().path("panels")) {
            if (!"row".equals(panel.path("type").asText())) {
                panels.add(panel);
            }
        }
        return panels;
    }

    static List<Query> queries() throws IOException {
        List<Query> queries = new ArrayList<>();
        for (JsonNode panel : panels()) {
            for (JsonNode target : panel.path("targets")) {
                queries.add(new Query(panel.path("title").asText(), target.path("expr").asText()));
            }
        }
        return queries;
    }
}
