package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.engine.EngineConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A router's {@code engines} model form and the engine's {@code server.internal_key_env}. */
class EnginesConfigTest {

    private static final String KEY = ApiKeyHash.of("sk-x").toString();
    private static final String SECRET = "0123456789abcdef0123456789abcdef-secret";
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test", "FAIRLANE_INTERNAL_KEY", SECRET,
            "SHORT_KEY", "too-short"));

    private static String yaml(String server, String engines) {
        return """
                server: {port: 0%s}
                tenants:
                  - id: a
                    api_keys: ["%s"]
                models:
                  - id: m
                    engines: %s
                """.formatted(server, KEY, engines);
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
    void staticReplicas_becomeOneGroupOfTargetsPlacedByAffinity() {
        FairlaneConfig c = loader.parse(yaml("", """
                {discovery: {static: ["http://10.0.0.1:8080/v1", "http://10.0.0.2:8080/v1"]},
                       internal_key_env: FAIRLANE_INTERNAL_KEY, max_concurrency: 8}"""), "test");

        UpstreamModelConfig m = (UpstreamModelConfig) c.models().getFirst();
        EnginesConfig e = m.engines().orElseThrow();
        assertThat(m.targets()).extracting(UpstreamModelConfig.Target::name)
                .containsExactly("10.0.0.1:8080", "10.0.0.2:8080");
        assertThat(m.targets()).allMatch(t -> t.maxConcurrency() == 8);
        assertThat(m.routing().groups()).hasSize(1);
        assertThat(e.policy()).isEqualTo(EnginesConfig.Policy.AFFINITY);
        assertThat(e.epsilon()).isEqualTo(0.25);
        assertThat(e.internalKey()).contains(new InternalKey(SECRET.getBytes()));
        assertThat(e.internalKey().orElseThrow().toString()).doesNotContain("secret");
    }

    @Test
    void dnsDiscovery_startsWithoutTargetsAndBuildsReplicaUrls() {
        FairlaneConfig c = loader.parse(yaml("", """
                {discovery: {dns: fairlane-engine, port: 9000, refresh: 3s}, policy: round_robin, epsilon: 0.5}"""),
                "test");

        UpstreamModelConfig m = (UpstreamModelConfig) c.models().getFirst();
        EnginesConfig e = m.engines().orElseThrow();
        assertThat(m.targets()).isEmpty();
        assertThat(e.dnsName()).contains("fairlane-engine");
        assertThat(e.refresh()).isEqualTo(Duration.ofSeconds(3));
        assertThat(e.policy()).isEqualTo(EnginesConfig.Policy.ROUND_ROBIN);
        assertThat(e.urlOf(URI.create("http://10.1.2.3:9000"))).isEqualTo(URI.create("http://10.1.2.3:9000/v1"));
        assertThat(m.withReplicas(List.of(e.target(URI.create("http://10.1.2.3:9000/v1")))).targets()).hasSize(1);
        assertThat(e.internalKey()).isEmpty();
    }

    @Test
    void mistakes_areReportedWithTheirPaths() {
        assertThat(errors(yaml("", "{discovery: {static: [\"ftp://x/v1\"], dns: x}, policy: sticky, epsilon: 0}")))
                .extracting(ConfigError::path)
                .contains("models[0].engines.discovery", "models[0].engines.policy", "models[0].engines.epsilon");
        assertThat(errors(yaml("", "{discovery: {static: [\"ftp://x/v1\"]}}"))).extracting(ConfigError::path)
                .contains("models[0].engines.discovery.static[0]");
        assertThat(errors(yaml("", "{policy: affinity}"))).extracting(ConfigError::path)
                .contains("models[0].engines.discovery");
        assertThat(errors(yaml("", "{discovery: {dns: x}, internal_key_env: SHORT_KEY}")))
                .anyMatch(e -> e.path().equals("models[0].engines.internal_key_env") && e.message().contains("32"));
        assertThat(errors(yaml("", "{discovery: {dns: x}, internal_key_env: NOT_SET}")))
                .anyMatch(e -> e.message().contains("NOT_SET is not set"));
        assertThat(errors(yaml("", "{discovery: {dns: x}, bogus: 1}"))).extracting(ConfigError::path)
                .contains("models[0].engines.bogus");
    }

    @Test
    void engineOrUpstreamOrLocal_exactlyOne() {
        String both = yaml("", "{discovery: {dns: x}}") + "    upstream: {url: \"http://u:1/v1\"}\n";
        assertThat(errors(both)).anyMatch(e -> e.message().contains("exactly one of 'local', 'upstream' or 'engines'"));
    }

    @Test
    void engineSide_internalKeyIsReadFromTheNamedVariable() {
        FairlaneConfig c = loader.parse(yaml(", internal_key_env: FAIRLANE_INTERNAL_KEY", "{discovery: {dns: x}}"),
                "test");
        assertThat(c.server().internalKey()).isEqualTo(Optional.of(new InternalKey(SECRET.getBytes())));
        assertThat(errors(yaml(", internal_key_env: SHORT_KEY", "{discovery: {dns: x}}"))).extracting(ConfigError::path)
                .contains("server.internal_key_env");
    }

    @Test
    void tokenizer_syntheticOrAModelDirectory_absentByDefault(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        String replicas = "discovery: {static: [\"http://10.0.0.1:8080/v1\"]}";

        EnginesConfig synthetic = engines(loader.parse(yaml(", cache_dir: /tmp/fl-cache", "{" + replicas
                + ", tokenizer: {synthetic: {shape: tiny, dtype: f32, seed: 7}}}"), "test"));
        EnginesConfig directory = engines(loader.parse(yaml("", "{" + replicas + ", tokenizer: {path: " + dir + "}}"),
                "test"));
        EnginesConfig none = engines(loader.parse(yaml("", "{" + replicas + "}"), "test"));

        assertThat(synthetic.tokenizer()).containsInstanceOf(EngineConfig.ModelSource.Synthetic.class);
        assertThat(((EngineConfig.ModelSource.Synthetic) synthetic.tokenizer().orElseThrow()).cacheDir())
                .isEqualTo(Path.of("/tmp/fl-cache/models"));
        assertThat(directory.tokenizer()).contains(new EngineConfig.ModelSource.Directory(dir));
        assertThat(none.tokenizer()).isEmpty();
    }

    @Test
    void tokenizer_mistakes_areReportedWithTheirPaths(@TempDir Path empty) {
        String replicas = "discovery: {static: [\"http://10.0.0.1:8080/v1\"]}";

        assertThat(errors(yaml("", "{" + replicas + ", tokenizer: {}}"))).extracting(ConfigError::path)
                .contains("models[0].engines.tokenizer");
        assertThat(errors(yaml("", "{" + replicas + ", tokenizer: {path: " + empty + ", synthetic: {shape: tiny}}}")))
                .extracting(ConfigError::path).contains("models[0].engines.tokenizer");
        assertThat(errors(yaml("", "{" + replicas + ", tokenizer: {path: " + empty + "}}")))
                .anySatisfy(e -> assertThat(e.path()).isEqualTo("models[0].engines.tokenizer.path"))
                .anySatisfy(e -> assertThat(e.message()).contains("tokenizer.json"));
        assertThat(errors(yaml("", "{" + replicas + ", tokenizer: {synthetic: {}}}"))).extracting(ConfigError::path)
                .contains("models[0].engines.tokenizer.synthetic.shape");
        assertThat(errors(yaml("", "{" + replicas + ", tokenizer: {synthetic: {shape: tiny}, weights: x}}")))
                .extracting(ConfigError::path).contains("models[0].engines.tokenizer.weights");
        assertThat(errors(yaml("", "{" + replicas + ", tokenizer: tiny}"))).extracting(ConfigError::path)
                .contains("models[0].engines.tokenizer");
    }

    private static EnginesConfig engines(FairlaneConfig c) {
        return ((UpstreamModelConfig) c.models().getFirst()).engines().orElseThrow();
    }
}
