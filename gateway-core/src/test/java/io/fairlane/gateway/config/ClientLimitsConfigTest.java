package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientLimitsConfigTest {

    private static final String REST = """
            tenants:
              - id: a
                api_keys: ["%s"]
            models:
              - id: m
                upstream: {url: "http://127.0.0.1:9000/v1"}
            """.formatted(ApiKeyHash.of("sk-x"));
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test"));

    private List<ConfigError> errors(String yaml) {
        try {
            loader.parse(yaml, "test");
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void withoutTheKeys_theDefaultsApply() {
        assertThat(loader.parse(REST, "test").server().clientLimits()).isEqualTo(ClientLimits.DEFAULT);
    }

    @Test
    void theKeys_areReadFromLimitsAndTimeouts() {
        ServerConfig s = loader.parse("""
                server:
                  limits: {min_body_rate: 1KiB, max_connections: 50, max_connections_per_address: 0}
                  timeouts: {body_read: 5s}
                """ + REST, "test").server();
        assertThat(s.clientLimits()).isEqualTo(new ClientLimits(Duration.ofSeconds(5), 1024, 50, 0));
    }

    @Test
    void badValues_areErrorsWithTheirPaths() {
        assertThat(errors("""
                server:
                  limits: {min_body_rate: -1, max_connections: -2, max_connections_per_address: many}
                  timeouts: {body_read: 0s}
                """ + REST)).extracting(ConfigError::path).contains("server.limits.min_body_rate",
                "server.limits.max_connections", "server.limits.max_connections_per_address",
                "server.timeouts.body_read");
    }
}
