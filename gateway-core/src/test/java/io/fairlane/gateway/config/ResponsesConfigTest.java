package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * The configuration of what {@code /v1/responses} adds: the {@code storage} section, the response store's bounds,
 * a local model's default reasoning effort and an upstream's {@code api}, each error reported with its path.
 */
class ResponsesConfigTest {

    private static final String KEY = ApiKeyHash.of("sk-x").toString();
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test"));

    private static String config(String model, String extra) {
        return """
                tenants:
                  - id: a
                    api_keys: ["%s"]
                models:
                  - id: m
                %s
                %s
                """.formatted(KEY, model.strip().indent(4).stripTrailing(), extra);
    }

    private static final String UPSTREAM = "upstream: {url: \"http://127.0.0.1:9000/v1\"}";

    private List<ConfigError> errors(String yaml) {
        try {
            loader.parse(yaml, "test");
        } catch (ConfigException e) {
            return e.errors();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void noSections_storesResponsesInTheDefaultEmbeddedStoreWithTheDefaultBounds() {
        FairlaneConfig c = loader.parse(config(UPSTREAM, ""), "test");

        assertThat(c.storage().settings()).contains(new StoreSettings.Embedded(
                Path.of("/home/test/.local/share/fairlane")));
        assertThat(c.responses()).isEqualTo(ResponsesConfig.DEFAULT);
    }

    @Test
    void storageDisabled_hasNoDurableStateSoResponsesStayInMemory() {
        FairlaneConfig c = loader.parse(config(UPSTREAM, "storage: {enabled: false}"), "test");

        assertThat(c.storage()).isEqualTo(StoreConfig.NONE);
    }

    @Test
    void storageDirectory_isAnEmbeddedStoreUnderHome() {
        FairlaneConfig c = loader.parse(config(UPSTREAM, "storage: {directory: ~/state}"), "test");

        assertThat(c.storage().settings()).contains(new StoreSettings.Embedded(Path.of("/home/test/state")));
    }

    @Test
    void storageWithBothOrAnUnknownKey_isEveryErrorWithItsPath() {
        assertThat(errors(config(UPSTREAM, "storage: {directory: /x, postgres: {url: \"jdbc:postgresql://h/d\", "
                + "user: u}, colour: blue}"))).extracting(ConfigError::path)
                .contains("storage", "storage.colour");
        assertThat(errors(config(UPSTREAM, "storage: [a]"))).extracting(ConfigError::path).contains("storage");
    }

    @Test
    void responsesStore_setsItsBounds() {
        FairlaneConfig c = loader.parse(config(UPSTREAM, "responses: {store: {max_responses: 50, max_size: 8MiB, "
                + "max_response_size: 1MiB, ttl: 2d}}"), "test");

        assertThat(c.responses()).isEqualTo(new ResponsesConfig(50, 8L << 20, 1L << 20, Duration.ofDays(2)));
    }

    @Test
    void responsesStore_oneLargerThanAll_isAnErrorWithItsPath() {
        assertThat(errors(config(UPSTREAM, "responses: {store: {max_size: 1MiB, max_response_size: 2MiB, "
                + "max_responses: 0}}"))).extracting(ConfigError::path)
                .contains("responses.store.max_response_size", "responses.store.max_responses");
    }

    @Test
    void localReasoningEffort_isTheDefaultOfRequestsThatNameNone() {
        FairlaneConfig c = loader.parse(config("local: {synthetic: {shape: tiny}, reasoning_effort: none}", ""),
                "test");

        assertThat(((LocalModelConfig) c.models().getFirst()).reasoningEffort()).contains("none");
    }

    @Test
    void localReasoningEffort_unknown_isAnErrorWithItsPath() {
        assertThat(errors(config("local: {synthetic: {shape: tiny}, reasoning_effort: extreme}", "")))
                .extracting(ConfigError::path).containsExactly("models[0].local.reasoning_effort");
    }

    @Test
    void upstreamApi_responsesMarksAnUpstreamThatSpeaksTheResponsesApi() {
        FairlaneConfig plain = loader.parse(config(UPSTREAM, ""), "test");
        FairlaneConfig responses = loader.parse(config("upstream: {url: \"http://127.0.0.1:9000/v1\", api: responses}",
                ""), "test");

        assertThat(((UpstreamModelConfig) plain.models().getFirst()).responsesApi()).isFalse();
        assertThat(((UpstreamModelConfig) responses.models().getFirst()).responsesApi()).isTrue();
        assertThat(errors(config("upstream: {url: \"http://127.0.0.1:9000/v1\", api: grpc}", "")))
                .extracting(ConfigError::path).containsExactly("models[0].upstream.api");
    }

    @Test
    void localModelWithoutAnEffort_leavesTheTemplatesDefault() {
        FairlaneConfig c = loader.parse(config("local: {synthetic: {shape: tiny}}", ""), "test");

        assertThat(((LocalModelConfig) c.models().getFirst()).reasoningEffort()).isEqualTo(Optional.empty());
    }
}
