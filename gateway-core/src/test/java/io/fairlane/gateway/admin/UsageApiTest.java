package io.fairlane.gateway.admin;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.RawHttp;
import io.fairlane.gateway.testing.TestGateway;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** {@code GET /admin/usage} on a running gateway: admin keys only, per-tenant counts and SLO status. */
@ExtendWith(GatewayExtension.class)
class UsageApiTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void traffic(TestGateway g) throws Exception {
        HttpResponse<String> r = g.post("/v1/chat/completions", "{\"model\":\"gpt-stub\",\"user\":\"plain\","
                + "\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}");
        assertThat(r.statusCode()).isEqualTo(200);
    }

    private static HttpResponse<String> usage(TestGateway g, String query, String key) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port() + "/admin/usage" + query));
        if (key != null) {
            b.header("Authorization", "Bearer " + key);
        }
        return g.send(b.GET().build());
    }

    private static JsonNode tenant(JsonNode body, String id) {
        for (JsonNode t : body.path("data")) {
            if (t.path("tenant").asText().equals(id)) {
                return t;
            }
        }
        throw new AssertionError("no tenant " + id + " in " + body);
    }

    private static List<String> tenantIds(JsonNode body) {
        List<String> ids = new ArrayList<>();
        body.path("data").forEach(t -> ids.add(t.path("tenant").asText()));
        return ids;
    }

    @Test
    void adminKey_listsEveryConfiguredTenant(TestGateway g) throws Exception {
        JsonNode body = JSON.readTree(usage(g, "", TestGateway.ADMIN_KEY).body());
        assertThat(tenantIds(body)).containsExactly("demo", "limited", "small");
    }

    @Test
    void adminKey_countsTheTenantsTokens(TestGateway g) throws Exception {
        JsonNode demo = tenant(JSON.readTree(usage(g, "", TestGateway.ADMIN_KEY).body()), "demo");
        assertThat(demo.path("tokens").path("prompt").asLong()).isGreaterThanOrEqualTo(9);
    }

    @Test
    void adminKey_countsSucceededRequestsPerModel(TestGateway g) throws Exception {
        JsonNode demo = tenant(JSON.readTree(usage(g, "", TestGateway.ADMIN_KEY).body()), "demo");
        List<String> served = new ArrayList<>();
        demo.path("models").forEach(m -> {
            if (m.path("requests").path("succeeded").asLong() > 0) {
                served.add(m.path("model").asText());
            }
        });
        assertThat(served).contains("gpt-stub");
    }

    @Test
    void adminKey_showsEachSloWithItsWindowsAndAlertState(TestGateway g) throws Exception {
        JsonNode slo = tenant(JSON.readTree(usage(g, "", TestGateway.ADMIN_KEY).body()), "demo").path("slos").path(0);
        List<String> windows = new ArrayList<>();
        slo.path("windows").forEach(w -> windows.add(w.path("window").asText()));
        assertThat(slo.path("name").asText() + " " + slo.path("objective").asDouble() + " "
                + slo.path("alerting").asText() + " " + windows)
                .matches("ttft 0\\.99 (none|slow_burn|fast_burn) \\[5m, 30m, 1h, 6h\\]");
    }

    @Test
    void adminKey_tenantWithoutTraffic_readsZeros(TestGateway g) throws Exception {
        JsonNode small = tenant(JSON.readTree(usage(g, "?tenant=small", TestGateway.ADMIN_KEY).body()), "small");
        assertThat(small.path("prefix_cache").path("hit_ratio").isNull()
                && small.path("prefix_cache").path("query_tokens").asLong() == 0).isTrue();
    }

    @Test
    void tenantFilter_returnsOnlyThatTenant(TestGateway g) throws Exception {
        JsonNode body = JSON.readTree(usage(g, "?tenant=limited", TestGateway.ADMIN_KEY).body());
        assertThat(tenantIds(body)).containsExactly("limited");
    }

    @Test
    void tenantKey_is403WithAnOpenAiError(TestGateway g) throws Exception {
        HttpResponse<String> r = usage(g, "", TestGateway.DEMO_KEY);
        assertThat(r.statusCode() + " " + JSON.readTree(r.body()).path("error").path("code").asText())
                .isEqualTo("403 insufficient_permissions");
    }

    @Test
    void tenantKey_neverSeesAnyTenantsUsage(TestGateway g) throws Exception {
        String body = usage(g, "?tenant=limited", TestGateway.DEMO_KEY).body();
        assertThat(body).doesNotContain("limited").doesNotContain("tokens");
    }

    @Test
    void missingKey_is401(TestGateway g) throws Exception {
        assertThat(usage(g, "", null).statusCode()).isEqualTo(401);
    }

    @Test
    void wrongKey_is401InvalidApiKey(TestGateway g) throws Exception {
        HttpResponse<String> r = usage(g, "", "sk-not-an-admin");
        assertThat(r.statusCode() + " " + JSON.readTree(r.body()).path("error").path("code").asText())
                .isEqualTo("401 invalid_api_key");
    }

    @Test
    void unknownTenant_is404NamingTheParameter(TestGateway g) throws Exception {
        HttpResponse<String> r = usage(g, "?tenant=nobody", TestGateway.ADMIN_KEY);
        assertThat(r.statusCode() + " " + JSON.readTree(r.body()).path("error").path("param").asText())
                .isEqualTo("404 tenant");
    }

    @Test
    void unknownParameter_is400NamingIt(TestGateway g) throws Exception {
        HttpResponse<String> r = usage(g, "?since=yesterday", TestGateway.ADMIN_KEY);
        assertThat(r.statusCode() + " " + JSON.readTree(r.body()).path("error").path("param").asText())
                .isEqualTo("400 since");
    }

    @Test
    void emptyTenant_is400(TestGateway g) throws Exception {
        assertThat(usage(g, "?tenant=", TestGateway.ADMIN_KEY).statusCode()).isEqualTo(400);
    }

    @Test
    void brokenPercentEncoding_is400AndTheServerKeepsServing(TestGateway g) throws Exception {
        String broken;
        try (RawHttp raw = new RawHttp(g.port())) { // java.net.URI refuses to send such a query
            raw.write("GET /admin/usage?tenant=%zz HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer "
                    + TestGateway.ADMIN_KEY + "\r\n\r\n");
            broken = raw.readResponse().substring(0, 12);
        }
        int next = usage(g, "", TestGateway.ADMIN_KEY).statusCode();
        assertThat(broken + " " + next).isEqualTo("HTTP/1.1 400 200");
    }

    @Test
    void post_is405(TestGateway g) throws Exception {
        HttpResponse<String> r = g.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + g.port()
                        + "/admin/usage")).header("Authorization", "Bearer " + TestGateway.ADMIN_KEY)
                .POST(HttpRequest.BodyPublishers.ofString("{}")).build());
        assertThat(r.statusCode()).isEqualTo(405);
    }
}
