package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The {@code admin_keys} section: hashes only, validated like tenant keys, never shared with a tenant. */
class AdminKeysConfigTest {

    private static final String TENANT_KEY = ApiKeyHash.of("sk-team").toString();
    private static final String ADMIN_KEY = ApiKeyHash.of("sk-admin").toString();
    private final ConfigLoader loader = new ConfigLoader(Map.of("HOME", "/home/test"));

    private static String config(String adminKeys) {
        return """
                tenants:
                  - id: team
                    api_keys: ["%s"]
                models:
                  - id: m
                    upstream: {url: "http://127.0.0.1:9000/v1"}
                %s
                """.formatted(TENANT_KEY, adminKeys);
    }

    private List<String> errors(String yaml) {
        try {
            loader.parse(yaml, "test");
        } catch (ConfigException e) {
            return e.errors().stream().map(err -> err.path() + ": " + err.message()).toList();
        }
        throw new AssertionError("expected the configuration to be refused");
    }

    @Test
    void adminKeys_hashes_areRead() {
        FairlaneConfig c = loader.parse(config("admin_keys: [\"" + ADMIN_KEY + "\"]"), "test");
        assertThat(c.adminKeys()).containsExactly(ApiKeyHash.of("sk-admin"));
    }

    @Test
    void adminKeys_absent_meansNone() {
        assertThat(loader.parse(config(""), "test").adminKeys()).isEmpty();
    }

    @Test
    void adminKeys_plainKey_isRefusedWithItsPath() {
        assertThat(errors(config("admin_keys: [\"sk-admin\"]")))
                .singleElement().asString().startsWith("admin_keys[0]: expected sha256:<64 hex digits>");
    }

    @Test
    void adminKeys_tenantsKey_isRefused() {
        assertThat(errors(config("admin_keys: [\"" + TENANT_KEY + "\"]")))
                .singleElement().asString().contains("admin_keys[0]").contains("tenant 'team'");
    }

    @Test
    void adminKeys_duplicate_isRefused() {
        assertThat(errors(config("admin_keys: [\"" + ADMIN_KEY + "\", \"" + ADMIN_KEY + "\"]")))
                .singleElement().asString().startsWith("admin_keys[1]: duplicate");
    }

    @Test
    void adminKeys_mapping_isRefused() {
        assertThat(errors(config("admin_keys: {key: x}"))).singleElement().asString().contains("admin_keys");
    }
}
