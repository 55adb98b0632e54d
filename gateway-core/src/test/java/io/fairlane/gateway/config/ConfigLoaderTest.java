package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Preemption;
import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.gateway.testing.Fixtures;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.ServiceTier;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ConfigLoaderTest {

    private static final String KEY = ApiKeyHash.of("sk-x").toString();
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test"));

    private static String minimal(String extraTenant, String extraModel) {
        return """
                tenants:
                  - id: a
                    api_keys: ["%s"]
                %s
                models:
                  - id: m
                    upstream: {url: "http://127.0.0.1:9000/v1"}
                %s
                """.formatted(KEY, extraTenant, extraModel);
    }

    private List<ConfigError> errors(String yaml) {
        try {
            loader.parse(yaml, "test");
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void idempotencySection_setsTheWindowAndBounds() {
        FairlaneConfig c = loader.parse(minimal("", "") + "idempotency: {window: 1h, max_keys: 10, max_size: 2MiB, "
                + "max_response_size: 64KiB}\n", "test");
        assertThat(c.idempotency()).isEqualTo(new IdempotencyConfig(true, Duration.ofHours(1), 10, 2L << 20, 64L << 10));
    }

    @Test
    void idempotencyResponseLimitAboveTheTenantLimit_isAnErrorWithItsPath() {
        assertThat(errors(minimal("", "") + "idempotency: {max_size: 1MiB, max_response_size: 2MiB}\n"))
                .extracting(ConfigError::path).contains("idempotency.max_response_size");
    }

    @Test
    void captureOptIn_isReadPerTenantAndOffByDefault() {
        FairlaneConfig c = loader.parse(minimal("    capture: true", "") + "capture: {file: ~/c.jsonl}\n", "test");
        assertThat(List.of(c.tenants().getFirst().capture(), c.capture().file().orElseThrow()))
                .containsExactly(true, Path.of("/home/test/c.jsonl"));
    }

    @Test
    void shippedDefault_isValid() throws Exception {
        FairlaneConfig c = loader.load(Fixtures.projectRoot().resolve("config/fairlane.yaml"));
        assertThat(c.tenants().getFirst().id()).isEqualTo("demo");
    }

    @Test
    void shippedDefault_acceptsTheDemoKey() throws Exception {
        FairlaneConfig c = loader.load(Fixtures.projectRoot().resolve("config/fairlane.yaml"));
        assertThat(c.tenants().getFirst().apiKeys()).contains(ApiKeyHash.of("sk-fairlane-demo"));
    }

    @Test
    void shippedDefault_servesFairlaneTinyFromASyntheticModelOnTheCpu() throws Exception {
        FairlaneConfig c = loader.load(Fixtures.projectRoot().resolve("config/fairlane.yaml"));
        LocalModelConfig m = (LocalModelConfig) c.model("fairlane-tiny").orElseThrow();
        assertThat(m.backend() + " " + m.source().getClass().getSimpleName()).isEqualTo("cpu Synthetic");
    }

    @Test
    void everyExample_isValid() throws Exception {
        for (String name : List.of("upstream-failover.yaml", "local-model.yaml")) {
            assertThat(loader.load(Fixtures.projectRoot().resolve("config/examples").resolve(name)).models()).isNotEmpty();
        }
    }

    @Test
    void defaults_matchTheDocumentedLimits() {
        ServerConfig s = loader.parse(minimal("", ""), "test").server();
        assertThat(s.maxBodyBytes()).isEqualTo(16L << 20);
        assertThat(s.port()).isEqualTo(8080);
    }

    @Test
    void preparation_defaultsToHalfTheCoresAndA256Queue() {
        ServerConfig s = loader.parse(minimal("", ""), "test").server();

        assertThat(new int[] {s.preparationThreads(), s.preparationQueue()}).containsExactly(0, 256);
    }

    @Test
    void preparation_sectionSetsThreadsAndQueue() {
        ServerConfig s = loader.parse("server: {preparation: {threads: 3, queue: 10}}\n" + minimal("", ""), "test")
                .server();

        assertThat(new int[] {s.preparationThreads(), s.preparationQueue()}).containsExactly(3, 10);
    }

    @Test
    void preparationQueueOfZero_isAnErrorWithItsPath() {
        assertThat(errors("server: {preparation: {queue: 0}}\n" + minimal("", ""))).extracting(ConfigError::path)
                .containsExactly("server.preparation.queue");
    }

    @Test
    void cacheDir_defaultsUnderHome() {
        assertThat(loader.parse(minimal("", ""), "test").server().cacheDir()).isEqualTo(Path.of("/home/test/.cache/fairlane"));
    }

    @Test
    void cacheDir_followsFairlaneCache() {
        ConfigLoader l = new ConfigLoader(Map.of("HOME", "/h", "FAIRLANE_CACHE", "/var/cache/fl"));
        assertThat(l.parse(minimal("", ""), "test").server().cacheDir()).isEqualTo(Path.of("/var/cache/fl"));
    }

    @Test
    void everyError_isReportedWithItsPath() {
        List<ConfigError> e = errors("""
                server:
                  port: 99999
                  timeouts: {idle: soon}
                tenants:
                  - id: a
                    api_keys: ["sha256:nothex", "plain-key"]
                    weight: -1
                    service_tiers: [gold]
                models:
                  - id: m
                    upstream: {url: "ftp://x"}
                    colour: red
                """);
        assertThat(e).extracting(ConfigError::path).contains("server.port", "server.timeouts.idle",
                "tenants[0].api_keys[0]", "tenants[0].api_keys[1]", "tenants[0].weight", "tenants[0].service_tiers[0]",
                "models[0].upstream.url", "models[0].colour");
    }

    @Test
    void duplicateKeyAcrossTenants_isRefused() {
        List<ConfigError> e = errors(minimal("  - id: b\n    api_keys: [\"" + KEY + "\"]", ""));
        assertThat(e).extracting(ConfigError::path).containsExactly("tenants[1].api_keys[0]");
    }

    @Test
    void missingTenantsAndModels_areRefused() {
        assertThat(errors("server: {port: 1}")).extracting(ConfigError::path).contains("tenants", "models");
    }

    @Test
    void invalidYaml_isRefusedWithItsLine() {
        assertThat(errors("tenants: [\n  - id: a\n").getFirst().message()).contains("line");
    }

    @Test
    void modelWithBothLocalAndUpstream_isRefused() {
        List<ConfigError> e = errors(minimal("", """
                  - id: both
                    upstream: {url: "http://x/v1"}
                    local: {synthetic: {shape: tiny}}
                """));
        assertThat(e).extracting(ConfigError::path).contains("models[1]");
    }

    @Test
    void slos_readInBothForms() {
        FairlaneConfig c = loader.parse(minimal("""
                    slos:
                      - {name: fast, metric: ttft, threshold: 500ms, objective: 0.99}
                      - "e2e <= 30s for 95%"
                      - {metric: errors, objective: 0.999}
                """, ""), "test");
        assertThat(c.tenants().getFirst().slos()).extracting(SloSpec::name).containsExactly("fast", "e2e_30s", "errors");
    }

    @Test
    void latencySloWithoutThreshold_isRefused() {
        List<ConfigError> e = errors(minimal("""
                    slos:
                      - {name: fast, metric: ttft, objective: 0.99}
                """, ""));
        assertThat(e).extracting(ConfigError::path).containsExactly("tenants[0].slos[0].threshold");
    }

    @Test
    void sloObjectiveOfOne_isRefused() {
        List<ConfigError> e = errors(minimal("""
                    slos:
                      - {name: fast, metric: ttft, threshold: 1s, objective: 1}
                """, ""));
        assertThat(e).extracting(ConfigError::path).contains("tenants[0].slos[0].objective");
    }

    @Test
    void tenantSettings_mapToTheSchedulerSpec() {
        FairlaneConfig c = loader.parse(minimal("""
                    weight: 3
                    service_tiers: [priority, default]
                    max_share: 0.5
                    queue: {max_requests: 10, max_tokens: 1000}
                    rate_limits: {requests_per_minute: 60, tokens_per_minute: 9000}
                """, ""), "test");
        var spec = c.tenants().getFirst().toSpec();
        assertThat(spec.weight()).isEqualTo(3);
        assertThat(spec.tiers()).containsExactlyInAnyOrder(ServiceTier.PRIORITY, ServiceTier.DEFAULT);
        assertThat(spec.maxShare().getAsDouble()).isEqualTo(0.5);
        assertThat(spec.rateLimits().tokensPerMinute()).isEqualTo(9000);
    }

    @Test
    void upstreamTargets_keepTheirOrderAndRename() {
        FairlaneConfig c = loader.parse(minimal("", """
                  - id: f
                    scheduler: {policy: vtc}
                    upstream:
                      targets:
                        - {url: "https://a.example/v1", api_key_env: A_KEY, model: real-a}
                        - {url: "http://b.example:8000/v1"}
                      timeouts: {first_byte: 2s}
                """), "test");
        UpstreamModelConfig u = (UpstreamModelConfig) c.model("f").orElseThrow();
        assertThat(u.targets()).extracting(UpstreamModelConfig.Target::label).containsExactly("a.example:443", "b.example:8000");
        assertThat(u.targets().getFirst().model()).contains("real-a");
        assertThat(u.targets()).allMatch(t -> t.timeouts().firstByte().equals(Duration.ofSeconds(2)));
        assertThat(u.policy()).isEqualTo(new Policy.VirtualTokenCounter());
    }

    @Test
    void defaultPolicy_isDeficitRoundRobin() {
        assertThat(loader.parse(minimal("", ""), "test").models().getFirst().policy()).isInstanceOf(Policy.DeficitRoundRobin.class);
    }

    @Test
    void configException_messageListsEveryError() {
        assertThatThrownBy(() -> loader.parse("tenants: []\nmodels: []\nbogus: 1", "f.yaml"))
                .hasMessageContaining("f.yaml").hasMessageContaining("bogus");
    }

    private LocalModelConfig local(String scheduler, String localExtra) {
        FairlaneConfig c = loader.parse(minimal("", """
                  - id: l
                    %s
                    local: {synthetic: {shape: tiny}%s}
                """.formatted(scheduler, localExtra)), "test");
        return (LocalModelConfig) c.model("l").orElseThrow();
    }

    @Test
    void localPreemption_defaultsToFairForTheFairPolicies() {
        assertThat(List.of(local("scheduler: {policy: drr}", "").preemption(),
                local("scheduler: {policy: vtc}", "").preemption(),
                local("scheduler: {policy: dlpm}", "").preemption(),
                local("", "").preemption()))
                .containsOnly(new Preemption.FairShare(Preemption.DEFAULT_WINDOW));
    }

    @Test
    void localPreemption_defaultsToNoneForFcfs() {
        assertThat(local("scheduler: {policy: fcfs}", "").preemption()).isEqualTo(Preemption.none());
    }

    @Test
    void localPreemption_fairWithWindow_isRead() {
        assertThat(local("scheduler: {policy: fcfs, preemption: fair, preemption_window: 250ms}", "").preemption())
                .isEqualTo(new Preemption.FairShare(Duration.ofMillis(250)));
    }

    @Test
    void localPreemption_none_turnsItOffForDrr() {
        assertThat(local("scheduler: {policy: drr, preemption: none}", "").preemption()).isEqualTo(Preemption.none());
    }

    @Test
    void preemption_unknownValue_isAnErrorWithItsPath() {
        assertThat(errors(minimal("", """
                  - id: l
                    scheduler: {preemption: always}
                    local: {synthetic: {shape: tiny}}
                """))).extracting(ConfigError::path).containsExactly("models[1].scheduler.preemption");
    }

    @Test
    void preemptionWindow_withPreemptionNone_isAnErrorWithItsPath() {
        assertThat(errors(minimal("", """
                  - id: l
                    scheduler: {preemption: none, preemption_window: 1s}
                    local: {synthetic: {shape: tiny}}
                """))).extracting(ConfigError::path).containsExactly("models[1].scheduler.preemption_window");
    }

    @Test
    void preemption_onAnUpstreamModel_isAnErrorWithItsPath() {
        assertThat(errors(minimal("", """
                  - id: u
                    scheduler: {policy: drr, preemption: fair}
                    upstream: {url: "http://127.0.0.1:9001/v1"}
                """))).extracting(ConfigError::path).containsExactly("models[1].scheduler.preemption");
    }

    @Test
    void localOverlap_defaultsToAutoAndFalseTurnsItOff() {
        assertThat(List.of(local("", "").overlap(), local("", ", overlap: false").overlap()))
                .containsExactly(EngineConfig.Overlap.AUTO, EngineConfig.Overlap.OFF);
    }

    @Test
    void localOverlap_unknownValue_isAnErrorWithItsPath() {
        assertThat(errors(minimal("", """
                  - id: l
                    local: {synthetic: {shape: tiny}, overlap: sometimes}
                """))).extracting(ConfigError::path).containsExactly("models[1].local.overlap");
    }
}
