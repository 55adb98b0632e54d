package io.fairlane.gateway.lane;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.HeldUpstream;
import io.micrometer.core.instrument.Gauge;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The shape of the end-to-end noisy-neighbour run ({@code bench/scheduler/e2e-gateway.sh}) in dispatch
 * counts instead of seconds: an upstream lane with 4 slots, a noisy tenant with 20 requests (4 running,
 * 16 queued), then a light tenant's 2 requests. The {@link HeldUpstream} answers one request at a time, so
 * each answer frees one slot and the next request the lane's scheduler chooses is the next to arrive.
 * Under FCFS the light tenant waits behind the whole backlog; under DRR (the default, with its default
 * 4,096-unit quantum, about 70 of these requests) and VTC it goes within a few dispatches.
 *
 * <p>One event loop, so the light tenant's requests reach the scheduler strictly after the noisy ones.
 */
@ExtendWith(GatewayExtension.class)
class NoisyNeighbourTest {

    private static final String NOISY_KEY = "sk-noisy";
    private static final String LIGHT_KEY = "sk-light";
    private static final int NOISY_REQUESTS = 20;
    private static final int LIGHT_REQUESTS = 2;
    private static final int SLOTS = 4;

    private static HeldUpstream upstream;
    private static Gateway gateway;
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void start() throws Exception {
        upstream = new HeldUpstream();
        String lanes = "";
        for (String policy : List.of("fcfs", "drr", "vtc")) {
            lanes += """
                      - id: %1$s
                        scheduler: {policy: %1$s}
                        upstream: {url: "http://127.0.0.1:%2$d/v1", max_concurrency: %3$d}
                    """.formatted(policy, upstream.port(), SLOTS);
        }
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1}
                tenants:
                  - {id: noisy, api_keys: ["%s"]}
                  - {id: light, api_keys: ["%s"]}
                models:
                %s""".formatted(ApiKeyHash.of(NOISY_KEY), ApiKeyHash.of(LIGHT_KEY), lanes);
        ConfigLoader loader = new ConfigLoader(Map.of("HOME", Files.createTempDirectory("fairlane-noisy").toString()));
        gateway = Gateway.start(loader.parse(yaml, "test"), (m, t, s) -> {
            throw new UnsupportedOperationException("no local models here");
        });
    }

    @AfterAll
    static void stop() {
        if (gateway != null) {
            gateway.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private static CompletableFuture<HttpResponse<String>> send(String key, String lane, String user) {
        return HTTP.sendAsync(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + gateway.port()
                        + "/v1/chat/completions")).header("Authorization", "Bearer " + key)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(
                        "{\"model\":\"" + lane + "\",\"user\":\"" + user + "\",\"max_tokens\":8,"
                                + "\"messages\":[{\"role\":\"user\",\"content\":\"hello\"}]}")).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** Waits until {@code n} of the tenant's requests on the lane have reached the lane's backend. */
    private static void awaitInFlight(String tenant, String lane, int n) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(20).toNanos();
        while (System.nanoTime() < end) {
            Gauge g = gateway.registry().find("fairlane.requests.in.flight").tags("tenant", tenant, "model", lane)
                    .gauge();
            if (g != null && g.value() >= n) {
                return;
            }
            Thread.sleep(5);
        }
        throw new IllegalStateException(n + " requests of " + tenant + " never reached lane " + lane);
    }

    /**
     * Runs the scenario on {@code lane} and returns, for every request the lane dispatched after the
     * light tenant's requests were queued, the tenant it belonged to, in dispatch order.
     */
    private static List<String> dispatchesAfterLightArrived(String lane) throws Exception {
        int before = upstream.arrivals().size();
        int total = NOISY_REQUESTS + LIGHT_REQUESTS;
        List<CompletableFuture<HttpResponse<String>>> responses = new ArrayList<>();
        for (int i = 0; i < NOISY_REQUESTS; i++) {
            responses.add(send(NOISY_KEY, lane, "noisy-" + i));
        }
        upstream.awaitArrivals(before + SLOTS);
        awaitInFlight("noisy", lane, NOISY_REQUESTS);
        for (int i = 0; i < LIGHT_REQUESTS; i++) {
            responses.add(send(LIGHT_KEY, lane, "light-" + i));
        }
        awaitInFlight("light", lane, LIGHT_REQUESTS);
        for (int released = 1; released <= total; released++) {
            upstream.releaseOldest();
            upstream.awaitArrivals(before + Math.min(total, SLOTS + released));
        }
        for (CompletableFuture<HttpResponse<String>> r : responses) {
            assertThat(r.join().statusCode()).as("every request is answered").isEqualTo(200);
        }
        return upstream.arrivals().subList(before + SLOTS, before + total).stream()
                .map(user -> user.substring(0, user.indexOf('-'))).toList();
    }

    @Test
    void fcfs_lightTenantWaitsBehindTheWholeNoisyBacklog() throws Exception {
        List<String> order = dispatchesAfterLightArrived("fcfs");
        assertThat(order.indexOf("light")).isEqualTo(NOISY_REQUESTS - SLOTS);
    }

    @Test
    void drr_lightTenantIsDispatchedWithinAFewDispatches() throws Exception {
        List<String> order = dispatchesAfterLightArrived("drr");
        assertThat(order.lastIndexOf("light")).isLessThanOrEqualTo(3);
    }

    @Test
    void vtc_lightTenantIsDispatchedWithinAFewDispatches() throws Exception {
        List<String> order = dispatchesAfterLightArrived("vtc");
        assertThat(order.lastIndexOf("light")).isLessThanOrEqualTo(3);
    }
}
