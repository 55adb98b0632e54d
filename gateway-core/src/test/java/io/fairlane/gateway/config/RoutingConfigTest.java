package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.Fixtures;
import java.nio.file.Files;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The routing manifest in the {@code upstream} section: what it reads, what it refuses and where. */
class RoutingConfigTest {

    private static final String KEY = ApiKeyHash.of("sk-x").toString();
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test"));

    private static String with(String upstream) {
        return """
                tenants:
                  - id: a
                    api_keys: ["%s"]
                models:
                  - id: m
                    upstream:
                %s
                """.formatted(KEY, upstream.indent(6));
    }

    private UpstreamModelConfig parse(String upstream) {
        return (UpstreamModelConfig) loader.parse(with(upstream), "test").model("m").orElseThrow();
    }

    private List<String> errors(String upstream) {
        try {
            loader.parse(with(upstream), "test");
        } catch (ConfigException e) {
            return e.errors().stream().map(err -> err.path() + ": " + err.message()).toList();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    private static final String MANIFEST = """
            max_concurrency: 40
            timeouts: {connect: 2s, first_byte: 20s, between_chunks: 10s, total: 5m}
            groups:
              - name: primary
                saturation: {in_flight: 16, queue_wait: 500ms, ttft_p99: 2s, window: 30s}
                targets:
                  - {name: a, url: "https://a.example/v1", weight: 3, max_concurrency: 16, model: real-a}
                  - {name: b, url: "https://b.example/v1", weight: 1, max_concurrency: 16,
                     timeouts: {first_byte: 5s}, context_window: 8192}
              - name: fallback
                targets:
                  - {name: c, url: "http://c.example:8000/v1", context_window: 131072}
            retry: {on_status: [429, 503], max_attempts: 3, budget: 0.1, min_retries_per_second: 2, max_retry_after: 1s}
            breaker: {consecutive_failures: 3, consecutive_timeouts: 2, failure_ratio: 0.4, min_requests: 10,
                      window: 20s, ejection: 2s, max_ejection: 1m, half_open_probes: 2}
            context_fallbacks: [c]
            shadow: {url: "http://shadow.example/v1", sample_rate: 0.05, tenants: [a], max_concurrency: 4}
            limits: {max_response_size: 8MiB, output_slack: 0.5, output_slack_tokens: 10, max_bytes_per_token: 32}
            """;

    @Test
    void manifest_readsGroupsTargetsAndPolicies() {
        UpstreamModelConfig u = parse(MANIFEST);
        RoutingConfig r = u.routing();

        assertThat(r.groups()).extracting(RoutingConfig.Group::name).containsExactly("primary", "fallback");
        assertThat(u.targets()).extracting(UpstreamModelConfig.Target::name).containsExactly("a", "b", "c");
        assertThat(r.groups().getFirst().saturation()).isEqualTo(new RoutingConfig.Saturation(16,
                Optional.of(Duration.ofMillis(500)), Optional.of(Duration.ofSeconds(2)), Duration.ofSeconds(30), 20));
        assertThat(r.retry()).isEqualTo(new RoutingConfig.Retry(java.util.Set.of(429, 503), 3, 0.1, 2,
                Duration.ofSeconds(1)));
        assertThat(r.breaker()).isEqualTo(new RoutingConfig.Breaker(3, 2, 0.4, 10, Duration.ofSeconds(20),
                Duration.ofSeconds(2), Duration.ofMinutes(1), 2));
        assertThat(r.contextFallbacks()).containsExactly("c");
        assertThat(r.shadow().orElseThrow().optedIn("a")).isTrue();
        assertThat(r.output()).isEqualTo(new RoutingConfig.OutputLimits(8L << 20, 0.5, 10, 32));
        assertThat(u.maxConcurrency()).isEqualTo(40);
    }

    @Test
    void targetTimeouts_inheritTheModelsAndOverrideWhatTheyName() {
        UpstreamModelConfig u = parse(MANIFEST);

        assertThat(u.routing().target("b").orElseThrow().timeouts()).isEqualTo(new UpstreamModelConfig.Timeouts(
                Duration.ofSeconds(2), Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofMinutes(5)));
        assertThat(u.routing().target("c").orElseThrow().maxConcurrency()).isEqualTo(40);
    }

    @Test
    void orderedTargets_areGroupsOfOneInOrderWithTheDefaults() {
        UpstreamModelConfig u = parse("""
                targets:
                  - {url: "https://a.example/v1", model: real-a}
                  - {url: "http://b.example:8000/v1"}
                timeouts: {read: 7s}
                """);

        assertThat(u.routing().groups()).extracting(g -> g.targets().size()).containsExactly(1, 1);
        assertThat(u.targets()).extracting(UpstreamModelConfig.Target::name)
                .containsExactly("a.example:443", "b.example:8000");
        assertThat(u.targets().getFirst().timeouts().betweenChunks()).isEqualTo(Duration.ofSeconds(7));
        assertThat(u.routing().retry().maxAttempts()).isEqualTo(2);
        assertThat(u.maxConcurrency()).isEqualTo(64);
    }

    @Test
    void oneUrl_isOneTargetNamedByItsHostAndPort() {
        UpstreamModelConfig u = parse("{url: \"http://127.0.0.1:9000/v1\", model: x, max_concurrency: 8}");

        assertThat(u.targets()).singleElement().satisfies(t -> {
            assertThat(t.name()).isEqualTo("127.0.0.1:9000");
            assertThat(t.maxConcurrency()).isEqualTo(8);
        });
        assertThat(u.maxConcurrency()).isEqualTo(8);
    }

    @Test
    void sameHostTwice_getsDistinctDefaultNames() {
        UpstreamModelConfig u = parse("""
                targets: [{url: "http://h:1/v1"}, {url: "http://h:1/v2"}]
                """);

        assertThat(u.targets()).extracting(UpstreamModelConfig.Target::name).containsExactly("h:1", "h:1#2");
    }

    @Test
    void mistakes_areEachReportedWithTheirPath() {
        assertThat(errors("""
                groups:
                  - name: g
                    saturation: {in_flight: 99}
                    targets:
                      - {name: a, url: "ftp://a/v1", max_concurrency: 10}
                      - {name: b, url: "http://b/v1", max_concurrency: 10, weight: -1}
                      - {name: b, url: "http://c/v1", max_concurrency: 10}
                retry: {on_status: [404]}
                context_fallbacks: [nope]
                shadow: {url: "http://s/v1", tenants: [ghost], sample_rate: 0.1}
                breaker: {ejection: 10s, max_ejection: 1s}
                """)).containsExactlyInAnyOrder(
                "models[0].upstream.groups[0].targets[0].url: must start with http:// or https://, was 'ftp://a/v1'",
                "models[0].upstream.groups[0].targets[1].weight: must be between 0 and 1000000, was -1",
                "models[0].upstream.groups[0].targets[2].name: duplicate target name 'b'",
                "models[0].upstream.groups[0].saturation.in_flight: is above target 'b''s max_concurrency (10), so it "
                        + "could never be reached",
                "models[0].upstream.retry.on_status[0]: only 429 and 5xx answers can be retried (a 4xx is the "
                        + "request's own problem and would fail the same everywhere), was 404",
                "models[0].upstream.context_fallbacks[0]: no target is named 'nope'; expected one of [b]",
                "models[0].upstream.shadow.tenants[0]: no tenant 'ghost' is configured",
                "models[0].upstream.breaker.max_ejection: must be at least 'ejection' (PT10S)");
    }

    @Test
    void everyTargetAtWeightZero_isRefused() {
        assertThat(errors("targets: [{url: \"http://a/v1\", weight: 0}]"))
                .containsExactly("models[0].upstream.targets: every target has weight 0: nothing could serve the model");
    }

    @Test
    void severalForms_areRefused() {
        assertThat(errors("{url: \"http://a/v1\", targets: [{url: \"http://b/v1\"}]}"))
                .anyMatch(e -> e.startsWith("models[0].upstream.targets: give one of 'url', 'targets' or 'groups'"));
    }

    @Test
    void readAndBetweenChunksTogether_areRefused() {
        assertThat(errors("{url: \"http://a/v1\", timeouts: {read: 1s, between_chunks: 2s}}"))
                .containsExactly("models[0].upstream.timeouts.read: is the older name of between_chunks: give one of them");
    }

    @Test
    void annotatedExample_parses() throws Exception {
        var file = Fixtures.projectRoot().resolve("config/examples/routing-manifest.yaml");

        FairlaneConfig c = loader.parse(Files.readString(file), file.toString());

        assertThat(c.models()).anyMatch(m -> m instanceof UpstreamModelConfig u && u.routing().groups().size() > 1);
    }
}
