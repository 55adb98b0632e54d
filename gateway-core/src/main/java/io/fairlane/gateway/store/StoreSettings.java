package io.fairlane.gateway.store;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * Where durable state lives: a directory on this machine ({@link Embedded}, the default) or a PostgreSQL server
 * that several gateway replicas share ({@link Postgres}).
 *
 * <p>Two records behind a sealed interface rather than one record with two optional halves: once settings exist
 * they are exactly one of the two, so code that opens them switches over two cases and never meets "both" or
 * "neither". Those are configuration mistakes, and {@link #fromMap} reports them with the rest.
 *
 * <p>The configuration file is expected to carry (see docs/adr/0006-durable-state.md):
 * <pre>{@code
 * storage:
 *   directory: ~/.local/share/fairlane      # embedded: SQLite file, blob files
 *   # or, for replicas that share state:
 *   postgres:
 *     url: jdbc:postgresql://db:5432/fairlane
 *     user: fairlane
 *     password_env: FAIRLANE_PG_PASSWORD      # the name of an environment variable, never the password
 *     pool: 8
 * }</pre>
 */
public sealed interface StoreSettings permits StoreSettings.Embedded, StoreSettings.Postgres {

    /** Connections per gateway process to PostgreSQL when the configuration does not say. */
    int DEFAULT_POOL = 8;
    /** More connections than this per process only queue inside PostgreSQL; it is a typo, not a tuning. */
    int MAX_POOL = 200;

    /**
     * The embedded store: a SQLite database and blob files in {@code directory}, owned by one gateway process.
     *
     * @param directory created when missing; holds {@code fairlane.db} (and its WAL), {@code blobs/}, a lock file
     */
    record Embedded(Path directory) implements StoreSettings {
        public Embedded {
            Objects.requireNonNull(directory, "directory");
            if (directory.toString().isBlank()) {
                throw new IllegalArgumentException("directory: must not be empty");
            }
        }
    }

    /**
     * A PostgreSQL server shared by gateway replicas.
     *
     * @param url         a JDBC URL, {@code jdbc:postgresql://host:port/database}, without a password in it
     * @param user        the role to log in as
     * @param passwordEnv the name of the environment variable holding the password; empty where the server
     *                    needs none (trust or peer authentication)
     * @param pool        connections this process keeps at most
     */
    record Postgres(String url, String user, Optional<String> passwordEnv, int pool) implements StoreSettings {
        public Postgres {
            Objects.requireNonNull(url, "url");
            Objects.requireNonNull(user, "user");
            Objects.requireNonNull(passwordEnv, "passwordEnv");
            List<Problem> problems = new ArrayList<>();
            checkPostgres(url, user, passwordEnv, pool, "", problems);
            if (!problems.isEmpty()) {
                throw new Invalid(problems);
            }
        }
    }

    /** One thing wrong with the settings: the path of the field in the configuration file and what is wrong. */
    record Problem(String path, String message) {
        @Override
        public String toString() {
            return path + ": " + message;
        }
    }

    /** Settings that cannot be used; {@link #problems()} lists every problem found, not only the first. */
    final class Invalid extends IllegalArgumentException {
        private static final long serialVersionUID = 1L;
        private final transient List<Problem> problems;

        public Invalid(List<Problem> problems) {
            super(String.join("\n", problems.stream().map(Problem::toString).toList()));
            this.problems = List.copyOf(problems);
        }

        public List<Problem> problems() {
            return problems;
        }
    }

    /**
     * Reads the {@code storage} section of the configuration as a YAML parser hands it over (maps, strings and
     * numbers). A leading {@code ~/} in {@code directory} is the {@code HOME} of {@code environment}; a relative
     * directory stays relative (to the working directory). Problems are named by their path below
     * {@code storage}.
     *
     * @throws Invalid listing every problem: unknown keys, missing or ill-typed values, both or neither of
     *                 {@code directory} and {@code postgres}, a password written into the URL
     */
    static StoreSettings fromMap(Map<String, ?> storage, Map<String, String> environment) {
        Objects.requireNonNull(storage, "storage");
        Objects.requireNonNull(environment, "environment");
        List<Problem> problems = new ArrayList<>();
        unknownKeys(storage, Set.of("directory", "postgres"), "storage", problems);
        Object directory = storage.get("directory");
        Object postgres = storage.get("postgres");
        StoreSettings result = null;
        if (directory != null && postgres != null) {
            problems.add(new Problem("storage", "give either directory (embedded) or postgres (shared), not both"));
        } else if (directory == null && postgres == null) {
            problems.add(new Problem("storage", "needs directory (embedded) or postgres (shared)"));
        } else if (directory != null) {
            if (!(directory instanceof String dir) || dir.isBlank()) {
                problems.add(new Problem("storage.directory", "must be a non-empty path, was " + describe(directory)));
            } else {
                result = new Embedded(expandHome(dir, environment));
            }
        } else if (!(postgres instanceof Map<?, ?> pg)) {
            problems.add(new Problem("storage.postgres", "must be a map with url, user, password_env and pool, was "
                    + describe(postgres)));
        } else {
            result = postgres(pg, problems);
        }
        if (!problems.isEmpty()) {
            throw new Invalid(problems);
        }
        return result;
    }

    private static StoreSettings postgres(Map<?, ?> pg, List<Problem> problems) {
        String at = "storage.postgres";
        unknownKeys(pg, Set.of("url", "user", "password_env", "pool"), at, problems);
        String url = string(pg, "url", at, true, problems);
        String user = string(pg, "user", at, true, problems);
        String passwordEnv = string(pg, "password_env", at, false, problems);
        int pool = DEFAULT_POOL;
        Object poolValue = pg.get("pool");
        if (poolValue instanceof Integer || poolValue instanceof Long) {
            long p = ((Number) poolValue).longValue();
            pool = (int) Math.max(Integer.MIN_VALUE, Math.min(Integer.MAX_VALUE, p));
        } else if (poolValue != null) {
            problems.add(new Problem(at + ".pool", "must be a whole number, was " + describe(poolValue)));
        }
        int before = problems.size();
        checkPostgres(url, user, Optional.ofNullable(passwordEnv), pool, at + ".", problems);
        return problems.size() == before && url != null && user != null
                ? new Postgres(url, user, Optional.ofNullable(passwordEnv), pool) : null;
    }

    private static void checkPostgres(String url, String user, Optional<String> passwordEnv, int pool, String at,
                                      List<Problem> problems) {
        // url and user are null here only when fromMap has reported them missing already.
        if (url != null && url.toLowerCase(java.util.Locale.ROOT).contains("password=")) {
            // The URL ends up in logs and error messages; the password must not, so it is not repeated here either.
            problems.add(new Problem(at + "url", "must not carry a password; name an environment variable in "
                    + "password_env instead"));
        } else if (url != null && !url.startsWith("jdbc:postgresql://")) {
            problems.add(new Problem(at + "url", "must start with jdbc:postgresql://, was '" + url + "'"));
        }
        if (user != null && user.isBlank()) {
            problems.add(new Problem(at + "user", "must not be empty"));
        }
        passwordEnv.filter(name -> !name.matches("[A-Za-z_][A-Za-z0-9_]*")).ifPresent(name -> problems.add(
                new Problem(at + "password_env", "must be the name of an environment variable (letters, digits, "
                        + "underscores), was '" + name + "'")));
        if (pool < 1 || pool > MAX_POOL) {
            problems.add(new Problem(at + "pool", "must be between 1 and " + MAX_POOL + ", was " + pool));
        }
    }

    private static String string(Map<?, ?> map, String key, String at, boolean required, List<Problem> problems) {
        Object value = map.get(key);
        if (value == null) {
            if (required) {
                problems.add(new Problem(at + "." + key, "is required"));
            }
            return null;
        }
        if (!(value instanceof String s) || s.isBlank()) {
            problems.add(new Problem(at + "." + key, "must be a non-empty string, was " + describe(value)));
            return null;
        }
        return s;
    }

    private static void unknownKeys(Map<?, ?> map, Set<String> known, String at, List<Problem> problems) {
        Set<String> unknown = new TreeSet<>();
        for (Object key : map.keySet()) {
            if (!known.contains(String.valueOf(key))) {
                unknown.add(String.valueOf(key));
            }
        }
        for (String key : unknown) {
            problems.add(new Problem(at + "." + key, "unknown key (known: " + String.join(", ", new TreeSet<>(known))
                    + ")"));
        }
    }

    private static Path expandHome(String dir, Map<String, String> environment) {
        String home = environment.getOrDefault("HOME", System.getProperty("user.home", "."));
        if (dir.equals("~")) {
            return Path.of(home);
        }
        if (dir.startsWith("~/")) {
            return Path.of(home).resolve(dir.substring(2));
        }
        return Path.of(dir);
    }

    private static String describe(Object value) {
        return value instanceof String s ? "'" + s + "'" : value instanceof Map<?, ?> ? "a map"
                : value instanceof List<?> ? "a list" : String.valueOf(value);
    }
}
