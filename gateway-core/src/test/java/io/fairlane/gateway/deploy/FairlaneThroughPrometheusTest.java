package io.fairlane.gateway.deploy;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.metrics.FairlaneMeter;
import io.micrometer.core.instrument.Meter;
import io.micrometer.prometheusmetrics.PrometheusNamingConvention;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Prometheus end to end: Debian's {@code prometheus} (scripts/prereq.d/10-prometheus.sh) scrapes a
 * Fairlane running in this JVM on an ephemeral port, every second, and evaluates the shipped rules, while two
 * tenants send traffic to an upstream lane (a stub upstream) and to a local lane (the CPU engine with the
 * synthetic {@code tiny} model, so the engine panels have data). Then every PromQL expression of the Grafana
 * dashboard and of the rules runs through Prometheus' HTTP API: those about tenants must return series for
 * both, the others (upstream, engine, JVM, fleet health) at least one.
 *
 * <p>Model {@code routed} has a routing manifest whose primary target is down (connect refused: retries, ejections
 * and failed probes), whose next group holds one slot and spills the overlap of the two tenants' requests to the
 * last group, and which mirrors every request to a shadow: the routing and shadow meters get data too.
 *
 * <p>Tenant {@code acme} promises a 100 ms TTFT and its upstream requests take 300 ms to start, so its SLO
 * burns far above 14.4 and the fast-burn page fires; {@code beta} promises 2 s and never burns.
 *
 * <p>Without {@code prometheus} the test is skipped with the reason, except where {@code CI=true}: CI installs
 * it first, so there its absence fails the build rather than passing untested.
 *
 * <p>Shortened: Grafana's {@code $__rate_interval} becomes 10 s (ten 1 s scrapes). The rules keep their
 * windows (5 m ... 3 d): a rate over a window longer than the data uses the samples there are.
 */
class FairlaneThroughPrometheusTest {

    private static final Set<String> TENANTS = Set.of("acme", "beta");
    private static final String RATE_INTERVAL = "10s";
    private static final String ACME_KEY = "sk-it-acme";
    private static final String BETA_KEY = "sk-it-beta";
    private static final String ADMIN_KEY = "sk-it-admin";
    /** Long enough (over 16 tokens, one KV block) that repeats hit the prefix cache. */
    private static final String PROMPT = "Fairlane shares capacity among tenants fairly. ".repeat(6);
    private static final ObjectMapper JSON = new ObjectMapper();

    private static StubUpstream upstream;
    private static Gateway gateway;
    private static PrometheusServer prometheus;
    private static ExecutorService traffic;
    private static final AtomicBoolean running = new AtomicBoolean(true);
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start(@TempDir Path scratch) throws Exception {
        Path binary = Promtool.require("prometheus", "PROMETHEUS", "the Prometheus integration test");
        upstream = new StubUpstream(Duration.ofMillis(300));
        Path cache = ProjectFiles.root().resolve("gateway-core/target/prometheus-it-cache");
        FairlaneConfig config = new ConfigLoader(Map.of("HOME", scratch.toString())).parse(yaml(cache), "test");
        gateway = Gateway.start(config, EngineOpener.engines());
        traffic = Executors.newFixedThreadPool(2, Thread.ofPlatform().daemon().name("it-traffic-", 0).factory());
        traffic.submit(() -> sendUntilStopped(ACME_KEY, "slow"));
        traffic.submit(() -> sendUntilStopped(BETA_KEY, "fast"));
        System.gc(); // one collection, so the GC pause timer exists for the JVM panel

        prometheus = PrometheusServer.start(binary, scratch, "127.0.0.1:" + gateway.port(),
                RuleExpressions.ruleFiles());
        // Ready when both tenants' traffic has reached both lanes across enough scrapes for 10 s rates, and
        // the rules have recorded both tenants' burn rates.
        List<PrometheusServer.Sample> local = prometheus.awaitQuery(
                "sum by (tenant) (rate(fairlane_engine_preemptions_total[10s]) >= 0)"
                        + " and on (tenant) sum by (tenant) (rate(fairlane_tokens_total{model=\"tiny\",kind=\"completion\"}[10s]) > 0)"
                        + " and on (tenant) sum by (tenant) (rate(fairlane_scheduler_rejections_total[10s]) > 0)"
                        + " and on (tenant) sum by (tenant) (tenant_slo:fairlane_slo_burn_rate:ratio{window=\"5m\"})",
                r -> tenants(r).equals(TENANTS), Duration.ofSeconds(45));
        assertThat(tenants(local)).as("both tenants' traffic scraped; prometheus log:%n%s", prometheus.logTail())
                .isEqualTo(TENANTS);
    }

    @AfterAll
    static void stop() throws Exception {
        running.set(false);
        if (traffic != null) {
            traffic.shutdown();
            traffic.awaitTermination(10, TimeUnit.SECONDS);
        }
        if (prometheus != null) {
            prometheus.close();
        }
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static String yaml(Path cache) {
        return """
                server:
                  host: 127.0.0.1
                  port: 0
                  event_loops: 2
                  cache_dir: %s
                tenants:
                  - id: acme
                    api_keys: ["%s"]
                    rate_limits: {tokens_per_minute: 1000000}
                    slos:
                      - {name: ttft_100ms, metric: ttft, threshold: 100ms, objective: 0.99}
                      - {name: errors, metric: errors, objective: 0.999}
                  - id: beta
                    api_keys: ["%s"]
                    rate_limits: {tokens_per_minute: 1000000}
                    slos:
                      - {name: ttft_2s, metric: ttft, threshold: 2s, objective: 0.99}
                      - {name: errors, metric: errors, objective: 0.999}
                admin_keys: ["%s"]
                models:
                  - id: stub
                    upstream:
                      url: http://127.0.0.1:%5$d/v1
                      timeouts: {connect: 2s, first_byte: 10s, read: 10s}
                  - id: routed
                    upstream:
                      timeouts: {connect: 2s, first_byte: 10s, between_chunks: 10s}
                      breaker: {consecutive_failures: 1, ejection: 200ms, max_ejection: 200ms}
                      groups:
                        - {name: primary, targets: [{name: dead, url: "http://127.0.0.1:%6$d/v1"}]}
                        - name: busy
                          saturation: {in_flight: 1}
                          targets: [{name: stub-a, url: "http://127.0.0.1:%5$d/v1", max_concurrency: 1}]
                        - {name: spare, targets: [{name: stub-b, url: "http://127.0.0.1:%5$d/v1"}]}
                      shadow: {name: stub-shadow, url: "http://127.0.0.1:%5$d/v1", sample_rate: 1.0}
                  - id: replicated
                    engines:
                      discovery: {static: ["http://127.0.0.1:%5$d/v1"]}
                      load_interval: 1h
                  - id: tiny
                    local:
                      synthetic: {shape: tiny, dtype: f32, seed: 7}
                      backend: cpu
                      kv: {block_size: 16, cache_size: 4MiB}
                      max_running_sequences: 8
                      cpu_threads: 1
                """.formatted(cache, ApiKeyHash.of(ACME_KEY), ApiKeyHash.of(BETA_KEY), ApiKeyHash.of(ADMIN_KEY),
                upstream.port(), deadPort());
    }

    /**
     * One tenant's traffic, round after round: a streamed chat through the upstream lane, a streamed
     * completion on the local engine (repeating the prompt: prefix-cache hits), and a request larger than
     * the tenant's token limit, which the lane's scheduler rejects.
     */
    private static void sendUntilStopped(String key, String upstreamBehaviour) {
        while (running.get()) {
            try {
                post(key, "/v1/chat/completions", "{\"model\":\"stub\",\"stream\":true,\"max_tokens\":8,\"user\":\""
                        + upstreamBehaviour + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
                post(key, "/v1/chat/completions", "{\"model\":\"routed\",\"stream\":true,\"max_tokens\":8,\"user\":\""
                        + upstreamBehaviour + "\",\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}");
                post(key, "/v1/chat/completions", "{\"model\":\"replicated\",\"max_tokens\":8,\"messages\":[{\"role\":"
                        + "\"user\",\"content\":\"hello\"}]}");
                post(key, "/v1/completions", "{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":4,\"prompt\":\""
                        + PROMPT + "\"}");
                post(key, "/v1/chat/completions", "{\"model\":\"stub\",\"max_tokens\":2000000,"
                        + "\"messages\":[{\"role\":\"user\",\"content\":\"too much\"}]}");
                Thread.sleep(50);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // the gateway is stopping; the next round (if any) tries again
            }
        }
    }

    /** A port nothing listens on. */
    private static int deadPort() {
        try (java.net.ServerSocket s = new java.net.ServerSocket(0)) {
            return s.getLocalPort();
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }

    private static HttpResponse<String> post(String key, String path, String json) throws Exception {
        return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port() + path))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .timeout(Duration.ofSeconds(20)).POST(HttpRequest.BodyPublishers.ofString(json)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private static Set<String> tenants(List<PrometheusServer.Sample> samples) {
        Set<String> tenants = new TreeSet<>();
        samples.forEach(s -> {
            if (s.labels().containsKey("tenant")) {
                tenants.add(s.labels().get("tenant"));
            }
        });
        return tenants;
    }

    /** Empty when {@code promql} answers as it should: both tenants where it is about tenants, else a series. */
    private static String problem(String promql) throws Exception {
        List<PrometheusServer.Sample> result = prometheus.query(promql);
        if (promql.contains("tenant")) {
            return tenants(result).containsAll(TENANTS) ? "" : promql + " -> tenants " + tenants(result);
        }
        return result.isEmpty() ? promql + " -> no series" : "";
    }

    @Test
    void dashboard_everyQuery_returnsSeriesForBothTenants() throws Exception {
        List<String> problems = new ArrayList<>();
        List<DashboardQueries.Query> queries = DashboardQueries.queries();
        for (DashboardQueries.Query query : queries) {
            String problem = problem(query.concrete(RATE_INTERVAL));
            if (!problem.isEmpty()) {
                problems.add(query.panel() + ": " + problem);
            }
        }
        assertThat(problems).as("%d dashboard queries", queries.size()).isEmpty();
    }

    @Test
    void rules_everyExpression_returnsSeriesForBothTenants() throws Exception {
        List<String> problems = new ArrayList<>();
        List<RuleExpressions.Rule> rules = RuleExpressions.rules();
        for (RuleExpressions.Rule rule : rules) {
            // An alert's comparisons as bool, so its operands must line up for every tenant, firing or not.
            String problem = problem(rule.alert() ? rule.asBool() : rule.expr());
            if (!problem.isEmpty()) {
                problems.add(rule.name() + ": " + problem);
            }
        }
        assertThat(problems).as("%d rules", rules.size()).isEmpty();
    }

    /** The series Prometheus must hold for a meter: a timer's or summary's _count, a counter's _total. */
    private static String scrapedSeries(FairlaneMeter meter) {
        PrometheusNamingConvention naming = new PrometheusNamingConvention();
        return switch (meter.type()) {
            case COUNTER -> naming.name(meter.meterName(), Meter.Type.COUNTER, meter.baseUnit()) + "_total";
            case TIMER -> naming.name(meter.meterName(), Meter.Type.TIMER, "seconds") + "_count";
            case SUMMARY -> naming.name(meter.meterName(), Meter.Type.DISTRIBUTION_SUMMARY, meter.baseUnit()) + "_count";
            case GAUGE -> naming.name(meter.meterName(), Meter.Type.GAUGE, meter.baseUnit());
        };
    }

    @Test
    void everyMeterOfTheEnum_reachesPrometheus() throws Exception {
        Set<String> scraped = new TreeSet<>();
        prometheus.query("label_replace(group by (__name__) ({__name__=~\"fairlane_.+\"}), "
                        + "\"name\", \"$1\", \"__name__\", \"(.+)\")")
                .forEach(s -> scraped.add(s.labels().get("name")));
        List<String> missing = new ArrayList<>();
        for (FairlaneMeter meter : FairlaneMeter.values()) {
            if (!scraped.contains(scrapedSeries(meter))) {
                missing.add(meter.meterName() + " (" + scrapedSeries(meter) + ")");
            }
        }
        assertThat(missing).as("scraped: %s", scraped).isEmpty();
    }

    @Test
    void dashboardTenantVariable_listsBothTenants() throws Exception {
        assertThat(prometheus.labelValues("tenant", "fairlane_requests_total")).containsAll(TENANTS);
    }

    @Test
    void enginePanels_showTheLocalModel() throws Exception {
        assertThat(prometheus.query("fairlane_engine_kv_usage")).extracting(s -> s.labels().get("model"))
                .contains("tiny");
    }

    @Test
    void deviceMemory_onTheCpuBackend_isPresentAndZero() throws Exception {
        assertThat(prometheus.query("fairlane_engine_device_memory_used_bytes{model=\"tiny\"}"))
                .singleElement().extracting(PrometheusServer.Sample::value).isEqualTo("0");
    }

    @Test
    void schedulerGauges_coverTheLocalEnginesWaitingQueue() throws Exception {
        assertThat(tenants(prometheus.query("fairlane_scheduler_balance{lane=\"tiny\"}"))).isEqualTo(TENANTS);
    }

    @Test
    void ttftHistogram_hasABucketAtEachTenantsThreshold() throws Exception {
        assertThat(tenants(prometheus.query("fairlane_time_to_first_token_seconds_bucket{le=\"0.1\"}"
                + " and on (tenant, model) fairlane_time_to_first_token_seconds_bucket{le=\"2.0\"}")))
                .isEqualTo(TENANTS);
    }

    @Test
    void slowTenant_inProcessBurnOnShortWindows_exceedsFastBurnThreshold() throws Exception {
        List<PrometheusServer.Sample> burn = prometheus.query(
                "fairlane_slo_burn_rate{tenant=\"acme\", slo=\"ttft_100ms\", window=~\"5m|1h\"} > 14.4");
        assertThat(burn).extracting(s -> s.labels().get("window")).containsExactlyInAnyOrder("5m", "1h");
    }

    @Test
    void slowTenant_recordedBurnOnShortWindows_exceedsFastBurnThreshold() throws Exception {
        List<PrometheusServer.Sample> burn = prometheus.query(
                "tenant_slo:fairlane_slo_burn_rate:ratio{tenant=\"acme\", slo=\"ttft_100ms\", window=~\"5m|1h\"} > 14.4");
        assertThat(burn).extracting(s -> s.labels().get("window")).containsExactlyInAnyOrder("5m", "1h");
    }

    @Test
    void fastBurnAlert_firesForTheSlowTenantOnly() throws Exception {
        List<PrometheusServer.Sample> alerts = prometheus.awaitQuery(
                "ALERTS{alertname=\"FairlaneSloFastBurn\", alertstate=\"firing\"}", r -> !r.isEmpty(),
                Duration.ofSeconds(20));
        assertThat(alerts).extracting(s -> s.labels().get("tenant") + "/" + s.labels().get("slo"))
                .containsExactly("acme/ttft_100ms");
    }

    @Test
    void healthyTenant_burnsNothing() throws Exception {
        List<PrometheusServer.Sample> burn = prometheus.query(
                "max(tenant_slo:fairlane_slo_burn_rate:ratio{tenant=\"beta\"})");
        assertThat(burn).singleElement().extracting(PrometheusServer.Sample::value).isEqualTo("0");
    }

    @Test
    void usageApi_showsTheSlowTenantFastBurningAndTheOtherNot() throws Exception {
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(
                        URI.create("http://127.0.0.1:" + gateway.port() + "/admin/usage"))
                .header("Authorization", "Bearer " + ADMIN_KEY).build(), HttpResponse.BodyHandlers.ofString());
        List<String> alerting = new ArrayList<>();
        for (JsonNode tenant : JSON.readTree(r.body()).path("data")) {
            alerting.add(tenant.path("tenant").asText() + ":" + tenant.path("slos").path(0).path("alerting").asText());
        }
        assertThat(alerting).containsExactly("acme:fast_burn", "beta:none");
    }
}
