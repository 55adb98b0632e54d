package io.fairlane.gateway.cluster;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Prompt;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.EnginesConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.lane.routing.ModelRouter;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.ServiceTier;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The order a router gives each request: the prompt's key, the tenant's salt, round robin. No replica answers. */
class EngineReplicasTest {

    private static final List<URI> REPLICAS = List.of(URI.create("http://127.0.0.1:1/v1"),
            URI.create("http://127.0.0.1:2/v1"), URI.create("http://127.0.0.1:3/v1"));
    private final List<EngineReplicas> opened = new ArrayList<>();
    private final List<List<UpstreamModelConfig.Target>> told = new ArrayList<>();

    private EngineReplicas replicas(EnginesConfig.Policy policy) {
        return replicas(policy, Optional.empty());
    }

    private EngineReplicas replicas(EnginesConfig.Policy policy, Optional<EngineConfig.ModelSource> tokenizer) {
        EnginesConfig c = new EnginesConfig(REPLICAS, Optional.empty(), "http", 8080, "/v1", Duration.ofSeconds(5),
                policy, 0.25, 4, 16, Optional.empty(), Optional.empty(), Duration.ofHours(1), 8,
                UpstreamModelConfig.Timeouts.DEFAULT, 65536, tokenizer);
        EngineReplicas r = new EngineReplicas("m", c, told::add);
        opened.add(r);
        return r;
    }

    @AfterEach
    void close() {
        opened.forEach(EngineReplicas::close);
    }

    private static TenantConfig tenant(String id) {
        return new TenantConfig(id, List.of(ApiKeyHash.of("sk-" + id)), 1, Set.of(ServiceTier.DEFAULT),
                OptionalDouble.empty(), 10, 10, RateLimits.NONE, Optional.empty(), List.of());
    }

    private static ObjectNode chat(String system, String user) throws Exception {
        return (ObjectNode) Json.MAPPER.readTree("{\"model\":\"m\",\"messages\":[{\"role\":\"system\",\"content\":"
                + Json.MAPPER.writeValueAsString(system) + "},{\"role\":\"user\",\"content\":"
                + Json.MAPPER.writeValueAsString(user) + "}]}");
    }

    @Test
    void staticReplicas_areToldAtOnce_asTargetsNamedHostPort() {
        replicas(EnginesConfig.Policy.AFFINITY);

        assertThat(told).hasSize(1);
        assertThat(told.getFirst()).extracting(UpstreamModelConfig.Target::name)
                .containsExactlyInAnyOrder("127.0.0.1:1", "127.0.0.1:2", "127.0.0.1:3");
    }

    @Test
    void sameConversationPrefix_sameOrder_whateverTheLaterTurns() throws Exception {
        EngineReplicas r = replicas(EnginesConfig.Policy.AFFINITY);
        String system = "A long shared system prompt that is well over four blocks of sixteen characters long.";

        ModelRouter.Preference first = r.prefer(tenant("a"), chat(system, "one"), name -> 0);
        ModelRouter.Preference later = r.prefer(tenant("a"), chat(system, "a much later question"), name -> 0);

        // The home is the ring's; the order after it may change between calls, since the tenant's deficits can move
        // a request off a replica where it used its credit.
        assertThat(first.home()).isNotNull().isEqualTo(later.home());
        assertThat(later.order()).containsExactlyInAnyOrderElementsOf(first.order());
        assertThat(first.policy()).isEqualTo("affinity");
    }

    @Test
    void key_isSaltedPerTenant_andAbsentForAPromptShorterThanOneBlock() throws Exception {
        EngineReplicas r = replicas(EnginesConfig.Policy.AFFINITY);
        String prompt = EngineReplicas.canonicalPrompt(chat("shared system prompt of some length", "hi"));

        assertThat(r.key(prompt, tenant("a"))).isEqualTo(r.key(prompt, tenant("a")));
        assertThat(r.key(prompt, tenant("a"))).isNotEqualTo(r.key(prompt, tenant("b")));
        assertThat(r.key("short", tenant("a"))).isNull();
        assertThat(r.prefer(tenant("a"), (ObjectNode) Json.MAPPER.readTree("{\"prompt\":\"hi\"}"), n -> 0).home())
                .isNull();
    }

    @Test
    void canonicalPrompt_readsTextPartsAsPlainText() throws Exception {
        ObjectNode parts = (ObjectNode) Json.MAPPER.readTree("{\"messages\":[{\"role\":\"user\",\"content\":"
                + "[{\"type\":\"text\",\"text\":\"hello \"},{\"type\":\"text\",\"text\":\"there\"}]}]}");
        ObjectNode plain = (ObjectNode) Json.MAPPER.readTree(
                "{\"messages\":[{\"role\":\"user\",\"content\":\"hello there\"}]}");

        assertThat(EngineReplicas.canonicalPrompt(parts)).isEqualTo(EngineReplicas.canonicalPrompt(plain))
                .isEqualTo("user\nhello there\n");
    }

    @Test
    void roundRobin_turnsThroughTheReplicasWhateverThePrompt() throws Exception {
        EngineReplicas r = replicas(EnginesConfig.Policy.ROUND_ROBIN);
        List<String> firsts = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            firsts.add(r.prefer(tenant("a"), chat("the same system prompt every time, long enough", "q"), n -> 0)
                    .order().getFirst());
        }

        assertThat(firsts.subList(0, 3)).doesNotHaveDuplicates().isEqualTo(firsts.subList(3, 6));
    }

    @Test
    void withATokenizer_theKeyIsTheKvBlockHashOfTheTokenIds_inTheConfiguredBlockUntilAReplicaReports(
            @TempDir Path cache) {
        EngineReplicas r = replicas(EnginesConfig.Policy.AFFINITY, Optional.of(
                new EngineConfig.ModelSource.Synthetic("tiny", "f32", 42, cache)));
        Prompt chat = new Prompt.Chat(List.of(Map.of("role", "system", "content",
                "A long shared system prompt that is well over four blocks of sixteen tokens long, so that the key"
                        + " covers four whole blocks of it and nothing of the question that follows."),
                Map.of("role", "user", "content", "hi")), List.of(), true, Map.of());
        int[] ids = r.tokenizer().prepare(chat).tokenIds();

        assertThat(r.tokenizes()).isTrue();
        assertThat(r.blockSize()).isEqualTo(16);
        assertThat(r.key(ids, tenant("a"))).isEqualTo(PrefixKeys.position(PrefixKeys.key(ids, 16,
                tenant("a").cacheSalt(), 4)));
        assertThat(r.key(ids, tenant("a"))).isNotEqualTo(r.key(ids, tenant("b")));
        assertThat(r.key(new int[] {1, 2, 3}, tenant("a"))).isNull();
    }

    @Test
    void withoutATokenizer_theRouterDoesNotTokenise() {
        EngineReplicas r = replicas(EnginesConfig.Policy.AFFINITY);

        assertThat(r.tokenizes()).isFalse();
        assertThatThrownBy(r::tokenizer).isInstanceOf(IllegalStateException.class);
    }
}
