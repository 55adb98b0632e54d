package io.fairlane.gateway.deploy;

import com.sun.net.httpserver.HttpServer;
import io.fairlane.gateway.slo.RequestOutcome;
import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.gateway.slo.SloTracker;
import io.fairlane.scheduler.Ticker;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The SLO half of the Prometheus integration: a real Prometheus (Debian's, from the prereq script) scrapes
 * the SLO meters of two tenants every second and evaluates the shipped rules. Tenant {@code acme}'s every
 * request misses its TTFT threshold, {@code beta}'s every request meets it.
 *
 * <p>The exporter here is the SLO tracker on a Prometheus registry behind a plain HTTP server; the full
 * integration test against a running Fairlane (every dashboard query, all meters) replaces it once the
 * gateway's server is on main. Windows need no shortening: rate() over 3d works on a few seconds of samples.
 */
class SloSeriesThroughPrometheusTest {

    private static final Set<String> TENANTS = Set.of("acme", "beta");

    private static HttpServer exporter;
    private static ScheduledExecutorService traffic;
    private static PrometheusServer prometheus;

    @BeforeAll
    static void start(@TempDir Path scratch) throws Exception {
        var binary = Promtool.findBinary("prometheus", "PROMETHEUS");
        assumeTrue(binary.isPresent(), "prometheus is not installed: run scripts/test-prerequisites.sh "
                + "(Debian package prometheus) to run the Prometheus integration tests");

        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        SloTracker slos = new SloTracker(registry, Ticker.system());
        SloSpec ttft = SloSpec.parse("ttft <= 500ms for 99%");
        slos.configure(Map.of("acme", List.of(ttft), "beta", List.of(ttft, SloSpec.parse("availability 99.9%"))));
        traffic = Executors.newSingleThreadScheduledExecutor();
        traffic.scheduleAtFixedRate(() -> {
            slos.record("acme", RequestOutcome.Completed.generation(Duration.ofMillis(900), Duration.ofSeconds(2)));
            slos.record("beta", RequestOutcome.Completed.generation(Duration.ofMillis(90), Duration.ofSeconds(1)));
        }, 0, 50, TimeUnit.MILLISECONDS);

        exporter = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        exporter.createContext("/metrics", exchange -> {
            byte[] body = registry.scrape().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        exporter.start();

        prometheus = PrometheusServer.start(binary.get(), scratch,
                "127.0.0.1:" + exporter.getAddress().getPort(), RuleExpressions.ruleFiles());
        List<PrometheusServer.Sample> ready = prometheus.awaitQuery(
                "tenant_slo:fairlane_slo_burn_rate:ratio{window=\"5m\"}", r -> tenants(r).equals(TENANTS),
                Duration.ofSeconds(30));
        assertThat(tenants(ready)).as("burn rates recorded for both tenants; prometheus log:%n%s",
                prometheus.logTail()).isEqualTo(TENANTS);
    }

    @AfterAll
    static void stop() throws Exception {
        if (prometheus != null) {
            prometheus.close();
        }
        if (exporter != null) {
            exporter.stop(0);
        }
        if (traffic != null) {
            traffic.shutdownNow();
        }
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

    @Test
    void sloRules_everyExpression_returnsSeriesForBothTenants() throws Exception {
        List<String> missing = new ArrayList<>();
        for (RuleExpressions.Rule rule : RuleExpressions.rules()) {
            if (!rule.group().startsWith("fairlane-slo")) {
                continue;
            }
            String expr = rule.alert() ? rule.asBool() : rule.expr();
            Set<String> seen = tenants(prometheus.query(expr));
            if (!seen.equals(TENANTS)) {
                missing.add(rule.name() + " -> " + seen);
            }
        }
        assertThat(missing).isEmpty();
    }

    @Test
    void sloDashboardQueries_returnSeriesForBothTenants() throws Exception {
        List<String> missing = new ArrayList<>();
        int checked = 0;
        for (DashboardQueries.Query query : DashboardQueries.queries()) {
            if (!query.expr().contains("slo")) {
                continue; // the gateway's own meters: covered by the integration test against a running Fairlane
            }
            checked++;
            Set<String> seen = tenants(prometheus.query(query.concrete("5s")));
            if (!seen.equals(TENANTS)) {
                missing.add(query.panel() + ": " + query.expr() + " -> " + seen);
            }
        }
        assertThat(missing).as("%d SLO queries checked", checked).isEmpty();
    }

    @Test
    void fastBurnAlert_firesForTheSlowTenantOnly() throws Exception {
        List<PrometheusServer.Sample> alerts = prometheus.awaitQuery(
                "ALERTS{alertname=\"FairlaneSloFastBurn\", alertstate=\"firing\"}", r -> !r.isEmpty(),
                Duration.ofSeconds(20));
        assertThat(tenants(alerts)).containsExactly("acme");
    }

    @Test
    void healthyTenant_burnsNothing() throws Exception {
        List<PrometheusServer.Sample> burn = prometheus.query(
                "max(tenant_slo:fairlane_slo_burn_rate:ratio{tenant=\"beta\"})");
        assertThat(burn).singleElement().extracting(PrometheusServer.Sample::value).isEqualTo("0");
    }
}
