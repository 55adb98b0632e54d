package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.GatewayExtension;
import io.fairlane.gateway.testing.TestGateway;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(GatewayExtension.class)
class EngineLoadTest {

    @Test
    void internalLoad_listsEveryLocalModelWithVllmStyleNames(TestGateway g) throws Exception {
        HttpResponse<String> r = g.get("/internal/load");

        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.body()).contains("\"num_requests_waiting\"").contains("\"num_requests_running\"")
                .contains("\"gpu_cache_usage_perc\"");
        List<EngineLoad> loads = EngineLoad.parse(r.body().getBytes(StandardCharsets.UTF_8));
        assertThat(loads).extracting(EngineLoad::model).containsExactly("local-tiny");
        assertThat(loads.getFirst().blockSize()).isPositive();
    }

    @Test
    void cacheHitRatio_ofCounters_isHitsOverQueries() {
        assertThat(new EngineLoad("m", 0, 0, 10, 5, 16, 200, 50).cacheHitRatio()).isEqualTo(0.25);
        assertThat(new EngineLoad("m", 0, 0, 10, 5, 16, 0, 0).cacheHitRatio()).isZero();
    }
}
