package io.fairlane.gateway.shared;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.ResponsesConfig;
import io.fairlane.gateway.config.SharedStateConfig;
import io.fairlane.gateway.responses.MemoryResponseStore;
import io.fairlane.gateway.responses.ResponseStore;
import io.fairlane.gateway.responses.ResponseStoreContract;
import io.fairlane.gateway.responses.StoredResponse;
import io.fairlane.scheduler.Ticker;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link ResponseStoreContract} on a real Redis, and what only a shared store does: two replicas (each its own store
 * on the same Redis) see each other's responses and deletes, and a replica that loses Redis keeps what it stores
 * meanwhile reachable.
 */
class SharedResponseStoreTest extends ResponseStoreContract {

    private RedisServer redis;
    private String prefix;
    private final List<RedisLink> links = new ArrayList<>();
    private final List<SimpleMeterRegistry> registries = new ArrayList<>();

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisServer.start();
        prefix = "test" + UUID.randomUUID() + ":";
    }

    @AfterEach
    void stopRedis() throws Exception {
        links.forEach(RedisLink::close);
        if (redis != null) {
            redis.close();
        }
    }

    /** A replica's store: its own link and its own local store, on the shared Redis. */
    @Override
    protected ResponseStore create(ResponsesConfig config, LongSupplier clock) {
        SharedStateConfig shared = new SharedStateConfig(java.util.Optional.of(redis.uri()), Duration.ofMillis(200),
                prefix, 0.5, Duration.ofMillis(100));
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        registries.add(registry);
        RedisLink link = RedisLink.open(shared, Ticker.system(), registry);
        links.add(link);
        return new SharedResponseStore(link, new MemoryResponseStore(config, clock), config, clock);
    }

    @Test
    void put_onOneReplica_isFoundDeletedAndGoneOnTheOther() throws Exception {
        ResponseStore a = store();
        ResponseStore b = store();
        StoredResponse r = response("t", "resp_shared");

        a.put(r);
        a.flush();

        assertThat(get(b, "t", "resp_shared")).get().satisfies(found -> {
            assertThat(found.response()).isEqualTo(r.response());
            assertThat(found.items()).isEqualTo(r.items());
            assertThat(found.model()).isEqualTo(r.model());
            assertThat(found.expiresAt()).isEqualTo(r.expiresAt());
        });
        assertThat(b.delete("t", "resp_shared").get()).isTrue();
        assertThat(get(a, "t", "resp_shared")).isEmpty();
        assertThat(get(b, "t", "resp_shared")).isEmpty();
    }

    @Test
    void bounds_areTheTenantsAcrossReplicas() throws Exception {
        ResponseStore a = store();
        ResponseStore b = store();

        a.put(response("t", "resp_1"));
        a.flush();
        b.put(response("t", "resp_2"));
        b.flush();
        a.put(response("t", "resp_3"));
        a.flush();
        b.put(response("t", "resp_4"));
        b.flush();

        // 250 bytes hold two of these 100-byte responses, wherever they were stored: the two oldest went.
        assertThat(get(b, "t", "resp_1")).isEmpty();
        assertThat(get(a, "t", "resp_2")).isEmpty();
        assertThat(get(b, "t", "resp_3")).isPresent();
        assertThat(get(a, "t", "resp_4")).isPresent();
    }

    @Test
    void redisLost_putKeepsTheResponseOnThisReplica_andItStaysReachableAfterwards() throws Exception {
        ResponseStore a = store();
        redis.stop();

        assertThat(a.put(response("t", "resp_outage"))).isTrue();
        a.flush();

        assertThat(get(a, "t", "resp_outage")).isPresent();
        assertThat(registries.getFirst().find("fairlane.shared.state.local.decisions").tag("kind", "stored_response")
                .counter().count()).isPositive();
        redis.restart();
        Thread.sleep(150);
        assertThat(get(a, "t", "resp_outage")).isPresent();
        assertThat(a.delete("t", "resp_outage").get()).isTrue();
        assertThat(get(a, "t", "resp_outage")).isEmpty();
    }
}
