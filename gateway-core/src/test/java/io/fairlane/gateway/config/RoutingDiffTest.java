package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RoutingDiffTest {

    private static final String KEY = ApiKeyHash.of("sk-x").toString();
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test"));

    private List<ModelConfig> models(String groups) {
        return loader.parse("""
                tenants: [{id: a, api_keys: ["%s"]}]
                models:
                  - id: m
                    upstream:
                      groups:
                %s
                """.formatted(KEY, groups.indent(8)), "test").models();
    }

    @Test
    void between_weightChangedAndTargetAdded_saysEachWithOldAndNewValue() {
        List<ModelConfig> before = models("""
                - {name: g, targets: [{name: a, url: "http://a/v1", weight: 1}]}
                """);
        List<ModelConfig> after = models("""
                - {name: g, targets: [{name: a, url: "http://a/v1", weight: 3}, {name: b, url: "http://b/v1"}]}
                """);

        assertThat(RoutingDiff.between(before, after)).containsExactly("m: target 'a' weight 1 -> 3",
                "m: target 'b' added in group 'g' (http://b/v1, weight 1)");
    }

    @Test
    void between_sameConfiguration_isEmpty() {
        String g = "- {name: g, targets: [{name: a, url: \"http://a/v1\"}]}\n";

        assertThat(RoutingDiff.between(models(g), models(g))).isEmpty();
    }

    @Test
    void between_modelRemoved_saysSo() {
        assertThat(RoutingDiff.between(models("- {name: g, targets: [{name: a, url: \"http://a/v1\"}]}\n"), List.of()))
                .containsExactly("m: upstream model removed");
    }
}
