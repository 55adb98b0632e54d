package io.fairlane.gateway.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.util.Arrays;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The Prometheus endpoint after real traffic: per-tenant series, every fairlane_ family in the enum. */
@ExtendWith(GatewayExtension.class)
class MetricsEndpointTest {

    private static String scrape;

    @BeforeAll
    static void traffic(TestGateway g) throws Exception {
        g.post("/v1/chat/completions", "{\"model\":\"local-tiny\",\"stream\":true,"
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        g.post("/v1/chat/completions", "{\"model\":\"gpt-stub\",\"user\":\"plain\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        Thread.sleep(1200); // one poll of the scheduler and engine gauges
        scrape = g.get("/metrics").body();
    }

    @Test
    void ttftHistogram_isPerTenantAndModel() {
        assertThat(scrape).contains("fairlane_time_to_first_token_seconds_bucket{model=\"local-tiny\",tenant=\"demo\"");
    }

    @Test
    void ttftHistogram_hasABucketAtTheTenantsSloThreshold() {
        assertThat(scrape).contains("fairlane_time_to_first_token_seconds_bucket{model=\"local-tiny\",tenant=\"demo\",le=\"0.25\"}");
    }

    @Test
    void tokens_areCountedByKind() {
        assertThat(scrape).contains("fairlane_tokens_total{kind=\"completion\",model=\"local-tiny\",tenant=\"demo\"}");
    }

    @Test
    void requests_areCountedByStatus() {
        assertThat(scrape).contains("fairlane_requests_total{endpoint=\"chat\",model=\"gpt-stub\",status=\"200\",tenant=\"demo\"}");
    }

    @Test
    void enginePreemptionMeters_arePerTenantAndReason() {
        assertThat(scrape)
                .contains("fairlane_engine_preemptions_total{model=\"local-tiny\",reason=\"fair_share\",tenant=\"demo\"}")
                .contains("fairlane_engine_preemptions_total{model=\"local-tiny\",reason=\"kv_cache\",tenant=\"demo\"}")
                .contains("fairlane_engine_preemptions_total{model=\"local-tiny\",reason=\"flex\",tenant=\"demo\"}")
                .contains("fairlane_engine_recomputed_tokens_total{model=\"local-tiny\",tenant=\"demo\"}")
                .contains("fairlane_engine_preempted_seconds_total{model=\"local-tiny\",tenant=\"demo\"}");
    }

    @Test
    void upstreamAndEngineAndSchedulerMeters_arePresent() {
        assertThat(scrape).contains("fairlane_upstream_requests_total{outcome=\"ok\"")
                .contains("fairlane_engine_sequences_running{model=\"local-tiny\"}")
                .contains("fairlane_scheduler_queue_depth{lane=\"gpt-stub\",tenant=\"demo\"}")
                .contains("fairlane_prefix_cache_hits_total{model=\"local-tiny\",tenant=\"demo\"}")
                .contains("fairlane_slo_burn_rate{");
    }

    @Test
    void jvmAndNettyMeters_arePresent() {
        assertThat(scrape).contains("jvm_memory_used_bytes").contains("netty_eventexecutor_tasks_pending")
                .contains("netty_allocator_memory_used");
    }

    @Test
    void everyFairlaneFamily_isNamedByTheEnum() {
        Set<String> known = Arrays.stream(FairlaneMeter.values())
                .map(m -> m.meterName().replace('.', '_')).collect(Collectors.toSet());
        Matcher m = Pattern.compile("(?m)^# TYPE (fairlane_\\S+)").matcher(scrape);
        while (m.find()) {
            // A family is a meter's name plus at most a base unit and a total/max suffix.
            String family = m.group(1).replaceAll("_(max|total)$", "");
            String withoutUnit = family.replaceAll("_(seconds|bytes)$", "");
            assertThat(known.contains(family) || known.contains(withoutUnit)).as("meter family " + m.group(1))
                    .isTrue();
        }
    }
}
