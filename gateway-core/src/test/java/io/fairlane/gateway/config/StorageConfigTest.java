package io.fairlane.gateway.config;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.store.StoreSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The {@code storage}, {@code files} and {@code batches} sections. */
class StorageConfigTest {

    private static final String BASE = """
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
    void storage_absent_isEmbeddedInTheUsersDataFolder() {
        assertThat(loader.parse(BASE, "test").storage().settings())
                .contains(new StoreSettings.Embedded(Path.of("/home/test/.local/share/fairlane")));
    }

    @Test
    void storage_absentWithXdgDataHome_isUnderIt() {
        ConfigLoader xdg = new ConfigLoader(Map.of("HOME", "/home/test", "XDG_DATA_HOME", "/data"));
        assertThat(xdg.parse(BASE, "test").storage().settings())
                .contains(new StoreSettings.Embedded(Path.of("/data/fairlane")));
    }

    @Test
    void storage_directory_expandsHome() {
        assertThat(loader.parse(BASE + "storage: {directory: ~/state}\n", "test").storage().settings())
                .contains(new StoreSettings.Embedded(Path.of("/home/test/state")));
    }

    @Test
    void storage_postgres_isReadWithItsPool() {
        StoreConfig s = loader.parse(BASE + "storage: {postgres: {url: \"jdbc:postgresql://db:5432/f\", user: u, "
                + "password_env: PG_PW, pool: 4}}\n", "test").storage();
        assertThat(s.settings()).contains(new StoreSettings.Postgres("jdbc:postgresql://db:5432/f", "u",
                Optional.of("PG_PW"), 4));
    }

    @Test
    void storage_disabled_hasNoStore() {
        assertThat(loader.parse(BASE + "storage: {enabled: false}\n", "test").storage()).isEqualTo(StoreConfig.NONE);
    }

    @Test
    void storage_bothKinds_isAnErrorAtStorage() {
        assertThat(errors(BASE + "storage: {directory: /x, postgres: {url: \"jdbc:postgresql://d/f\", user: u}}\n"))
                .extracting(ConfigError::path).contains("storage");
    }

    @Test
    void storage_passwordInTheUrl_isAnErrorNamingTheField() {
        assertThat(errors(BASE + "storage: {postgres: {url: \"jdbc:postgresql://d/f?password=s3cret\", user: u}}\n"))
                .extracting(ConfigError::path).contains("storage.postgres.url");
    }

    @Test
    void filesAndBatches_areReadWithTheirLimits() {
        FairlaneConfig c = loader.parse(BASE + """
                files: {max_file_size: 1MiB, max_storage_per_tenant: 1GiB, upload_min_rate: 1KiB, upload_rate_window: 5s}
                batches: {max_lines: 100, max_input_size: 2MiB, max_in_flight_per_batch: 4, max_in_flight: 32,
                          max_attempts: 5, lease: 10s}
                """, "test");
        assertThat(c.files()).isEqualTo(new FilesConfig(1L << 20, 1L << 30, 1024, Duration.ofSeconds(5)));
        assertThat(c.batches()).isEqualTo(new BatchesConfig(100, 2L << 20, 4, 32, 5, Duration.ofSeconds(10)));
    }

    @Test
    void filesAndBatches_badValues_areAllReportedWithTheirPaths() {
        assertThat(errors(BASE + "files: {max_file_size: 0, sizes: 3}\nbatches: {max_lines: 0, lease: 10ms}\n"))
                .extracting(ConfigError::path)
                .contains("files.max_file_size", "files.sizes", "batches.max_lines", "batches.lease");
    }
}
