package io.fairlane.gateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The provisioned Grafana dashboard: complete (a panel for every view operators need), templated by tenant and
 * model, and querying only metrics Fairlane exports or the shipped rules record, in valid PromQL.
 */
class GrafanaDashboardTest {

    /**
     * Prometheus names of the team's fixed meters (team brief), plus the JVM and Netty meters Micrometer binds.
     * Histogram timers add _bucket/_count/_sum/_max, summaries _count/_sum/_max.
     */
    private static final Set<String> EXPORTED = Set.of(
            "fairlane_requests_total", "fairlane_requests_in_flight",
            "fairlane_time_to_first_token_seconds_bucket", "fairlane_inter_token_latency_seconds_bucket",
            "fairlane_e2e_request_latency_seconds_bucket", "fairlane_request_queue_time_seconds_bucket",
            "fairlane_tokens_total", "fairlane_prefix_cache_queries_total", "fairlane_prefix_cache_hits_total",
            "fairlane_kv_blocks_held", "fairlane_engine_preemptions_total",
            "fairlane_scheduler_queue_depth", "fairlane_scheduler_balance", "fairlane_scheduler_rejections_total",
            "fairlane_engine_batch_size_sum", "fairlane_engine_batch_size_count",
            "fairlane_engine_sequences_running", "fairlane_engine_sequences_waiting", "fairlane_engine_kv_usage",
            "fairlane_engine_generated_tokens_total", "fairlane_engine_device_memory_used_bytes",
            "fairlane_upstream_requests_total", "fairlane_upstream_latency_seconds_bucket",
            "fairlane_upstream_healthy",
            "fairlane_routing_requests_total", "fairlane_routing_attempts_sum", "fairlane_routing_attempts_count",
            "fairlane_routing_retries_total", "fairlane_routing_spills_total", "fairlane_routing_ejections_total",
            "fairlane_routing_target_ejected", "fairlane_routing_target_in_flight", "fairlane_routing_target_weight",
            "fairlane_routing_tokens_total", "fairlane_shadow_requests_total", "fairlane_shadow_comparisons_total",
            "fairlane_shadow_latency_seconds_bucket", "fairlane_shadow_output_ratio_sum",
            "fairlane_shadow_output_ratio_count",
            "fairlane_slo_events_total", "fairlane_slo_objective", "fairlane_slo_burn_rate",
            "jvm_memory_used_bytes", "process_cpu_usage", "jvm_gc_pause_seconds_sum",
            "netty_eventexecutor_tasks_pending");

    private static final Pattern METRIC = Pattern.compile(
            "\\b((?:fairlane|jvm|process|netty)_[a-z0-9_]+|tenant_slo:[a-z0-9_:]+)\\b(?!\\s*[=!~])");

    private static Set<String> recordedByRules() throws IOException {
        Set<String> recorded = new HashSet<>();
        try (var files = Files.list(ProjectFiles.docker().resolve("prometheus/rules"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".yml")).toList()) {
                for (Object group : Yaml.listAt(Yaml.map(file), "groups")) {
                    for (Object rule : Yaml.listAt(group, "rules")) {
                        if (rule instanceof java.util.Map<?, ?> map && map.containsKey("record")) {
                            recorded.add((String) map.get("record"));
                        }
                    }
                }
            }
        }
        return recorded;
    }

    @Test
    void panels_coverEveryOperatorView() throws IOException {
        List<String> titles = DashboardQueries.panels().stream().map(p -> p.path("title").asText()).toList();
        assertThat(String.join("\n", titles)).contains(
                "Time to first token p50 / p99", "Inter-token latency p99", "Tokens per second",
                "Prefix-cache hit ratio", "Queue depth", "Burn rate", "Upstream health", "KV cache usage",
                "Rejections per second", "Preemptions per second", "Event-loop pending tasks",
                "Attempts per request", "Retries and spills per second", "Ejected targets and breaker events",
                "Shadow agreement");
    }

    @Test
    void operationsGuide_describesEveryPanel() throws IOException {
        String guide = Files.readString(ProjectFiles.root().resolve("docs/operations.md"));
        List<String> undescribed = DashboardQueries.panels().stream().map(p -> p.path("title").asText())
                .filter(title -> !guide.contains("- **" + title + "**")).toList();
        assertThat(undescribed).as("panels without a '- **title**' entry in docs/operations.md").isEmpty();
    }

    @Test
    void templating_offersTenantAndModelWithAll() throws IOException {
        List<String> multiWithAll = new ArrayList<>();
        for (JsonNode variable : DashboardQueries.dashboard().path("templating").path("list")) {
            if (variable.path("multi").asBoolean() && variable.path("includeAll").asBoolean()) {
                multiWithAll.add(variable.path("name").asText());
            }
        }
        assertThat(multiWithAll).containsExactly("tenant", "model");
    }

    @Test
    void panels_haveUniqueIdsAndADescription() throws IOException {
        Set<Integer> ids = new HashSet<>();
        List<String> problems = new ArrayList<>();
        for (JsonNode panel : DashboardQueries.dashboard().path("panels")) {
            if (!ids.add(panel.path("id").asInt())) {
                problems.add("duplicate id " + panel.path("id"));
            }
            if (!"row".equals(panel.path("type").asText()) && panel.path("description").asText().isBlank()) {
                problems.add("no description: " + panel.path("title").asText());
            }
        }
        assertThat(problems).isEmpty();
    }

    @Test
    void panels_queryTheTemplatedDatasource() throws IOException {
        Set<String> datasources = new TreeSet<>();
        for (JsonNode panel : DashboardQueries.panels()) {
            datasources.add(panel.path("datasource").path("uid").asText());
            panel.path("targets").forEach(t -> datasources.add(t.path("datasource").path("uid").asText()));
        }
        assertThat(datasources).containsExactly("${datasource}");
    }

    @Test
    void queries_onTenantMetrics_filterByTheTenantVariable() throws IOException {
        List<String> unfiltered = DashboardQueries.queries().stream()
                .filter(q -> q.expr().contains("tenant"))
                .filter(q -> !q.expr().contains("tenant=~\"$tenant\""))
                .map(DashboardQueries.Query::panel).toList();
        assertThat(unfiltered).isEmpty();
    }

    @Test
    void queries_referenceOnlyExportedOrRecordedSeries() throws IOException {
        Set<String> known = new HashSet<>(EXPORTED);
        known.addAll(recordedByRules());
        Set<String> unknown = new TreeSet<>();
        for (DashboardQueries.Query query : DashboardQueries.queries()) {
            Matcher metric = METRIC.matcher(query.expr());
            while (metric.find()) {
                if (!known.contains(metric.group(1))) {
                    unknown.add(metric.group(1) + " (" + query.panel() + ")");
                }
            }
        }
        assertThat(unknown).isEmpty();
    }

    @Test
    void queries_areValidPromql(@TempDir Path scratch) throws Exception {
        Path promtool = Promtool.require("promtool", "PROMTOOL", "the dashboard's PromQL check");
        // promtool parses the expressions when they stand in a rule file as recording rules.
        StringBuilder rules = new StringBuilder("groups:\n  - name: dashboard\n    rules:\n");
        int n = 0;
        for (DashboardQueries.Query query : DashboardQueries.queries()) {
            rules.append("      - record: dashboard:query_").append(n++).append('\n')
                    .append("        expr: '").append(query.concrete("1m").replace("'", "''")).append("'\n");
        }
        Path file = scratch.resolve("dashboard-rules.yml");
        Files.writeString(file, rules);
        Promtool.Result result = Promtool.run(promtool, scratch, List.of("check", "rules", file.toString()));
        assertThat(result.exitCode()).as(result.output()).isZero();
    }
}
