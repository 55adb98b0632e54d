package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Reading the configuration's {@code storage} section, and what makes it unusable. */
class StoreSettingsTest {

    private static final Map<String, String> ENV = Map.of("HOME", "/home/fairlane");

    private static List<String> problems(Map<String, ?> storage) {
        try {
            StoreSettings.fromMap(storage, ENV);
        } catch (StoreSettings.Invalid invalid) {
            return invalid.problems().stream().map(StoreSettings.Problem::toString).toList();
        }
        throw new AssertionError("expected problems with " + storage);
    }

    @Test
    void fromMap_directory_isEmbedded() {
        assertThat(StoreSettings.fromMap(Map.of("directory", "/var/lib/fairlane"), ENV))
                .isEqualTo(new StoreSettings.Embedded(Path.of("/var/lib/fairlane")));
    }

    @Test
    void fromMap_directoryUnderHome_expandsTheTilde() {
        assertThat(StoreSettings.fromMap(Map.of("directory", "~/state"), ENV))
                .isEqualTo(new StoreSettings.Embedded(Path.of("/home/fairlane/state")));
    }

    @Test
    void fromMap_postgres_readsEveryField() {
        StoreSettings settings = StoreSettings.fromMap(Map.of("postgres", Map.of(
                "url", "jdbc:postgresql://db:5432/fairlane", "user", "gw", "password_env", "PG_PASSWORD",
                "pool", 12)), ENV);

        assertThat(settings).isEqualTo(new StoreSettings.Postgres("jdbc:postgresql://db:5432/fairlane", "gw",
                Optional.of("PG_PASSWORD"), 12));
    }

    @Test
    void fromMap_postgresWithoutPoolOrPassword_usesTheDefaults() {
        StoreSettings settings = StoreSettings.fromMap(Map.of("postgres", Map.of(
                "url", "jdbc:postgresql://db/fairlane", "user", "gw")), ENV);

        assertThat(settings).isEqualTo(new StoreSettings.Postgres("jdbc:postgresql://db/fairlane", "gw",
                Optional.empty(), StoreSettings.DEFAULT_POOL));
    }

    @Test
    void fromMap_bothDirectoryAndPostgres_isOneProblemNamingStorage() {
        assertThat(problems(Map.of("directory", "/x", "postgres", Map.of("url", "jdbc:postgresql://db/f",
                "user", "u")))).containsExactly("storage: give either directory (embedded) or postgres (shared), "
                + "not both");
    }

    @Test
    void fromMap_neither_isAProblemNamingStorage() {
        assertThat(problems(Map.of())).containsExactly("storage: needs directory (embedded) or postgres (shared)");
    }

    @Test
    void fromMap_severalMistakes_reportsEveryOneWithItsPath() {
        List<String> problems = problems(Map.of("postgres", Map.of(
                "url", "postgres://db/fairlane", "password_env", "not a name", "pool", 0, "poll", 3)));

        assertThat(problems).containsExactlyInAnyOrder(
                "storage.postgres.poll: unknown key (known: password_env, pool, url, user)",
                "storage.postgres.user: is required",
                "storage.postgres.url: must start with jdbc:postgresql://, was 'postgres://db/fairlane'",
                "storage.postgres.password_env: must be the name of an environment variable (letters, digits, "
                        + "underscores), was 'not a name'",
                "storage.postgres.pool: must be between 1 and 200, was 0");
    }

    @Test
    void fromMap_passwordInTheUrl_isRefusedWithoutRepeatingIt() {
        List<String> problems = problems(Map.of("postgres", Map.of(
                "url", "jdbc:postgresql://db/fairlane?user=gw&password=hunter2", "user", "gw")));

        assertThat(problems).singleElement().asString()
                .startsWith("storage.postgres.url: must not carry a password")
                .doesNotContain("hunter2");
    }

    @Test
    void fromMap_unknownTopLevelKey_isNamed() {
        assertThat(problems(Map.of("directory", "/x", "dir", "/y")))
                .containsExactly("storage.dir: unknown key (known: directory, postgres)");
    }

    @Test
    void fromMap_directoryNotAString_isNamed() {
        assertThat(problems(Map.of("directory", 42))).containsExactly("storage.directory: must be a non-empty path, "
                + "was 42");
    }

    @Test
    void fromMap_poolNotANumber_isNamed() {
        assertThat(problems(Map.of("postgres", Map.of("url", "jdbc:postgresql://db/f", "user", "u", "pool", "big"))))
                .containsExactly("storage.postgres.pool: must be a whole number, was 'big'");
    }

    @Test
    void postgres_builtInCode_validatesToo() {
        assertThatThrownBy(() -> new StoreSettings.Postgres("jdbc:mysql://db/f", "u", Optional.empty(), 8))
                .isInstanceOf(StoreSettings.Invalid.class)
                .hasMessage("url: must start with jdbc:postgresql://, was 'jdbc:mysql://db/f'");
    }
}
