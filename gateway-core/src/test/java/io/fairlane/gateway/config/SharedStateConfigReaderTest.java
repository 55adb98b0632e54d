package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SharedStateConfigReaderTest {

    private static final String BASE = """
            tenants:
              - {id: demo, api_keys: ["sha256:0000000000000000000000000000000000000000000000000000000000000000"]}
            models:
              - id: m
                upstream: {url: "http://127.0.0.1:9/v1"}
            storage: {enabled: false}
            """;

    private static FairlaneConfig parse(String section) {
        return new ConfigLoader(Map.of("HOME", "/tmp")).parse(BASE + section, "test");
    }

    @Test
    void read_noSection_sharesNothing() {
        assertThat(parse("").shared()).isEqualTo(SharedStateConfig.NONE);
    }

    @Test
    void read_fullSection_isRead() {
        SharedStateConfig c = parse("""
                shared_state: {redis: "redis://r:6380/2", timeout: 1s, key_prefix: "x:", fallback_share: 0.25,
                               retry_interval: 2s}
                """).shared();

        assertThat(c).isEqualTo(new SharedStateConfig(java.util.Optional.of(URI.create("redis://r:6380/2")),
                Duration.ofSeconds(1), "x:", 0.25, Duration.ofSeconds(2)));
    }

    @Test
    void read_badValues_areReportedWithTheirPaths() {
        assertThatThrownBy(() -> parse("""
                shared_state: {redis: "http://r:6379", fallback_share: 0, timeout: 0s, colour: blue}
                """)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("shared_state.redis")
                .hasMessageContaining("shared_state.fallback_share")
                .hasMessageContaining("shared_state.timeout")
                .hasMessageContaining("shared_state.colour");
    }
}
