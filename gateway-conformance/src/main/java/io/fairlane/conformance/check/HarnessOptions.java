package io.fairlane.conformance.check;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Everything a conformance run is told: where the server is, which model to use, which checks to run, and
 * how to provoke the behaviours that a plain request cannot (a tenant with a tiny rate limit, one without
 * quota, a model or header that makes the server fail mid-stream).
 *
 * @param baseUrl the base URL an SDK would take, e.g. {@code http://localhost:8080/v1}
 * @param apiKey a valid API key
 * @param model a chat model the key may use
 * @param embeddingModel an embedding model; embedding checks are not applicable without one
 * @param suites the suites to run (all when empty)
 * @param checks the check ids to run (all of the selected suites when empty)
 * @param declaredNotApplicable checks the user declares not applicable, with the reason
 * @param openapi the OpenAPI document; located in the shared fixtures when empty
 * @param rateLimitKey a key whose tenant has a tiny request limit, to provoke a 429
 * @param rateLimitAttempts how many requests to send with {@code rateLimitKey} before giving up on a 429
 * @param quotaKey a key whose tenant has no quota left (429 {@code insufficient_quota})
 * @param midStreamErrorModel a model that fails after streaming began
 * @param midStreamErrorHeaders headers that make the server fail after streaming began
 * @param oversizedBodyBytes size of the body sent to provoke a 413; 0 skips that check
 * @param timeout per-request timeout, including reading a whole stream
 */
public record HarnessOptions(URI baseUrl, String apiKey, String model, Optional<String> embeddingModel,
        Set<Suite> suites, Set<String> checks, Map<String, String> declaredNotApplicable, Optional<Path> openapi,
        Optional<String> rateLimitKey, int rateLimitAttempts, Optional<String> quotaKey,
        Optional<String> midStreamErrorModel, Map<String, String> midStreamErrorHeaders, long oversizedBodyBytes,
        Duration timeout) {

    public static final long DEFAULT_OVERSIZED_BODY_BYTES = 40L * 1024 * 1024;

    public HarnessOptions {
        requireNonNull(baseUrl, "baseUrl");
        if (!"http".equals(baseUrl.getScheme()) && !"https".equals(baseUrl.getScheme())) {
            throw new IllegalArgumentException("baseUrl must be an http or https URL, was " + baseUrl);
        }
        requireNonNull(apiKey, "apiKey");
        requireNonNull(model, "model");
        if (model.isBlank()) {
            throw new IllegalArgumentException("model must not be blank");
        }
        requireNonNull(embeddingModel, "embeddingModel");
        suites = suites.isEmpty() ? Set.of() : Set.copyOf(EnumSet.copyOf(suites));
        checks = Set.copyOf(checks);
        declaredNotApplicable = Map.copyOf(declaredNotApplicable);
        requireNonNull(openapi, "openapi");
        requireNonNull(rateLimitKey, "rateLimitKey");
        if (rateLimitAttempts < 1) {
            throw new IllegalArgumentException("rateLimitAttempts must be >= 1, was " + rateLimitAttempts);
        }
        requireNonNull(quotaKey, "quotaKey");
        requireNonNull(midStreamErrorModel, "midStreamErrorModel");
        midStreamErrorHeaders = Map.copyOf(midStreamErrorHeaders);
        if (oversizedBodyBytes < 0) {
            throw new IllegalArgumentException("oversizedBodyBytes must be >= 0, was " + oversizedBodyBytes);
        }
        requireNonNull(timeout, "timeout");
    }

    public static Builder builder(URI baseUrl, String apiKey, String model) {
        return new Builder(baseUrl, apiKey, model);
    }

    boolean selected(Check check) {
        boolean suiteSelected = suites.isEmpty() || suites.contains(check.suite());
        boolean checkSelected = checks.isEmpty() || checks.contains(check.id());
        return checks.isEmpty() ? suiteSelected : checkSelected;
    }

    /** Builds options with the defaults the command line uses. */
    public static final class Builder {
        private final URI baseUrl;
        private final String apiKey;
        private final String model;
        private Optional<String> embeddingModel = Optional.empty();
        private final Set<Suite> suites = new LinkedHashSet<>();
        private final Set<String> checks = new LinkedHashSet<>();
        private final Map<String, String> declaredNotApplicable = new LinkedHashMap<>();
        private Optional<Path> openapi = Optional.empty();
        private Optional<String> rateLimitKey = Optional.empty();
        private int rateLimitAttempts = 20;
        private Optional<String> quotaKey = Optional.empty();
        private Optional<String> midStreamErrorModel = Optional.empty();
        private final Map<String, String> midStreamErrorHeaders = new LinkedHashMap<>();
        private long oversizedBodyBytes = DEFAULT_OVERSIZED_BODY_BYTES;
        private Duration timeout = Duration.ofSeconds(120);

        private Builder(URI baseUrl, String apiKey, String model) {
            this.baseUrl = baseUrl;
            this.apiKey = apiKey;
            this.model = model;
        }

        public Builder embeddingModel(String value) {
            this.embeddingModel = Optional.of(value);
            return this;
        }

        public Builder suite(Suite value) {
            suites.add(value);
            return this;
        }

        public Builder check(String id) {
            checks.add(id);
            return this;
        }

        public Builder notApplicable(String id, String reason) {
            declaredNotApplicable.put(id, reason);
            return this;
        }

        public Builder openapi(Path value) {
            this.openapi = Optional.of(value);
            return this;
        }

        public Builder rateLimitKey(String value) {
            this.rateLimitKey = Optional.of(value);
            return this;
        }

        public Builder rateLimitAttempts(int value) {
            this.rateLimitAttempts = value;
            return this;
        }

        public Builder quotaKey(String value) {
            this.quotaKey = Optional.of(value);
            return this;
        }

        public Builder midStreamErrorModel(String value) {
            this.midStreamErrorModel = Optional.of(value);
            return this;
        }

        public Builder midStreamErrorHeader(String name, String value) {
            midStreamErrorHeaders.put(name, value);
            return this;
        }

        public Builder oversizedBodyBytes(long value) {
            this.oversizedBodyBytes = value;
            return this;
        }

        public Builder timeout(Duration value) {
            this.timeout = value;
            return this;
        }

        public HarnessOptions build() {
            return new HarnessOptions(baseUrl, apiKey, model, embeddingModel, suites, checks, declaredNotApplicable,
                    openapi, rateLimitKey, rateLimitAttempts, quotaKey, midStreamErrorModel, midStreamErrorHeaders,
                    oversizedBodyBytes, timeout);
        }
    }
}
