package io.fairlane.gateway.batches;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.BatchesConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.files.FileObject;
import io.fairlane.gateway.files.FileStore;
import io.fairlane.gateway.files.FilesApi;
import io.fairlane.gateway.files.Ids;
import io.fairlane.gateway.files.Queries;
import io.fairlane.gateway.files.StorageErrors;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Blocking;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.Bodies;
import io.fairlane.scheduler.ServiceTier;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * {@code /v1/batches}: create from an uploaded JSONL file, list, retrieve, cancel. Creating only checks what can be
 * checked at once (the request's fields, the input file's existence, purpose and size) and answers
 * {@code validating}; the lines are validated and run by the {@link BatchRunner}.
 */
public final class BatchesApi {

    static final Duration WINDOW = Duration.ofHours(24);
    private static final int MAX_METADATA = 16;

    private final CompletableFuture<Batches> batches;
    private final CompletableFuture<FileStore> files;
    private final Supplier<BatchesConfig> config;
    private final Executor executor;

    public BatchesApi(CompletableFuture<Batches> batches, CompletableFuture<FileStore> files,
                      Supplier<BatchesConfig> config, Executor executor) {
        this.batches = Objects.requireNonNull(batches, "batches");
        this.files = Objects.requireNonNull(files, "files");
        this.config = Objects.requireNonNull(config, "config");
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    /** {@code POST /v1/batches}. */
    public HttpHandler create() {
        return exchange -> {
            ObjectNode body = Bodies.parse(exchange.body());
            String inputFileId = requiredString(body, "input_file_id");
            String endpoint = requiredString(body, "endpoint");
            if (BatchEndpoints.check(endpoint).isEmpty()) {
                throw ApiException.invalidRequest("Invalid value for 'endpoint': '" + endpoint + "'. Batches on this "
                        + "server may target " + BatchEndpoints.list() + ".", "endpoint", "invalid_value");
            }
            String window = requiredString(body, "completion_window");
            if (!window.equals("24h")) {
                throw ApiException.invalidRequest("Invalid value for 'completion_window': '" + window + "'. The only "
                        + "supported value is '24h'.", "completion_window", "invalid_value");
            }
            Optional<JsonNode> metadata = metadata(body.get("metadata"));
            OptionalLong outputExpiry = outputExpiry(body.get("output_expires_after"));
            TenantConfig tenant = exchange.tenant();
            String tier = tier(tenant);
            long maxInput = config.get().maxInputBytes();
            Blocking.respondJson(exchange, executor, () -> {
                FileObject input = FilesApi.await(files).find(tenant.id(), inputFileId)
                        .orElseThrow(() -> FilesApi.notFound(inputFileId));
                if (!input.purpose().equals("batch")) {
                    throw ApiException.invalidRequest("The input file " + inputFileId + " was uploaded with purpose '"
                            + input.purpose() + "'; a batch's input must have purpose 'batch'.", "input_file_id",
                            "invalid_value");
                }
                if (input.bytes() > maxInput) {
                    throw ApiException.invalidRequest("The input file is " + input.bytes() + " bytes; a batch's input "
                            + "may be at most " + maxInput + ".", "input_file_id", "file_too_large");
                }
                Batches feature = FilesApi.await(batches);
                long now = System.currentTimeMillis();
                Batch batch = new Batch(Ids.random("batch_"), tenant.id(), Batch.Status.VALIDATING, endpoint,
                        inputFileId, window, tier, Optional.empty(), metadata, Optional.empty(), Optional.empty(),
                        Optional.empty(), outputExpiry, new Batch.Counts(0, 0, 0), Batch.Usage.NONE,
                        new Batch.Times(now, now + WINDOW.toMillis(), OptionalLong.empty(), OptionalLong.empty(),
                                OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(), OptionalLong.empty(),
                                OptionalLong.empty()));
                feature.store().create(batch);
                feature.wake();
                return batch.toJson();
            }, StorageErrors::translate);
        };
    }

    /** {@code GET /v1/batches}: {@code limit} (1..100, default 20), {@code after}. */
    public HttpHandler list() {
        return exchange -> {
            Map<String, List<String>> q = new QueryStringDecoder(exchange.uri()).parameters();
            int limit = Queries.limit(q, 20, 100);
            Optional<String> after = Queries.string(q, "after");
            String tenant = exchange.tenant().id();
            Blocking.respondJson(exchange, executor, () -> {
                BatchStore.Page page = FilesApi.await(batches).store().list(tenant, limit, after);
                ObjectNode out = Json.MAPPER.createObjectNode();
                out.put("object", "list");
                ArrayNode data = out.putArray("data");
                page.data().forEach(b -> data.add(b.toJson()));
                if (page.data().isEmpty()) {
                    out.putNull("first_id");
                    out.putNull("last_id");
                } else {
                    out.put("first_id", page.data().getFirst().id());
                    out.put("last_id", page.data().getLast().id());
                }
                out.put("has_more", page.hasMore());
                return out;
            }, StorageErrors::translate);
        };
    }

    /** {@code GET /v1/batches/{id}}, under {@code prefix}. */
    public HttpHandler retrieve(String prefix) {
        return exchange -> {
            String id = exchange.path().substring(prefix.length());
            String tenant = exchange.tenant().id();
            Blocking.respondJson(exchange, executor, () -> {
                if (!Ids.looksLike(id, "batch_")) {
                    throw notFound(id);
                }
                return FilesApi.await(batches).store().find(tenant, id).orElseThrow(() -> notFound(id)).toJson();
            }, StorageErrors::translate);
        };
    }

    /** {@code POST /v1/batches/{id}/cancel}, under {@code prefix}. */
    public HttpHandler cancel(String prefix) {
        return exchange -> {
            String rest = exchange.path().substring(prefix.length());
            if (!rest.endsWith("/cancel")) {
                throw new ApiException(new ApiError(404, "Invalid URL (" + exchange.method() + " " + exchange.path()
                        + ")", "invalid_request_error", null, null));
            }
            String id = rest.substring(0, rest.length() - "/cancel".length());
            String tenant = exchange.tenant().id();
            Blocking.respondJson(exchange, executor, () -> {
                if (!Ids.looksLike(id, "batch_")) {
                    throw notFound(id);
                }
                Batches feature = FilesApi.await(batches);
                try {
                    Batch b = feature.store().cancel(tenant, id, System.currentTimeMillis())
                            .orElseThrow(() -> notFound(id));
                    feature.wake();
                    return b.toJson();
                } catch (BatchStore.WrongStatus e) {
                    throw ApiException.invalidRequest("Cannot cancel a batch with status '" + e.status().wire()
                            + "': it has already " + (e.status() == Batch.Status.FINALIZING ? "run every line and is "
                            + "writing its results" : "ended") + ".", null, "batch_not_cancellable");
                }
            }, StorageErrors::translate);
        };
    }

    /**
     * The tier a tenant's batch lines run in: {@code flex} where it may use flex (capacity no interactive work
     * wants), else the lowest tier it may use, so a batch never outranks its tenant's own interactive traffic.
     */
    static String tier(TenantConfig tenant) {
        ServiceTier[] lowestFirst = {ServiceTier.FLEX, ServiceTier.DEFAULT, ServiceTier.PRIORITY};
        for (ServiceTier t : lowestFirst) {
            if (tenant.serviceTiers().contains(t)) {
                return t.wireName();
            }
        }
        return ServiceTier.DEFAULT.wireName();
    }

    static ApiException notFound(String id) {
        return new ApiException(new ApiError(404, "No such Batch object: " + id, "invalid_request_error", "id", null));
    }

    private static String requiredString(ObjectNode body, String field) {
        JsonNode v = body.get(field);
        if (v == null || v.isNull()) {
            throw ApiException.invalidRequest("Missing required parameter: '" + field + "'.", field,
                    "missing_required_parameter");
        }
        if (!v.isTextual()) {
            throw ApiException.invalidRequest("Invalid type for '" + field + "': expected a string.", field,
                    "invalid_type");
        }
        return v.asText();
    }

    /** At most 16 pairs, keys up to 64 characters, string values up to 512. */
    static Optional<JsonNode> metadata(JsonNode m) {
        if (m == null || m.isNull()) {
            return Optional.empty();
        }
        if (!m.isObject()) {
            throw ApiException.invalidRequest("Invalid type for 'metadata': expected an object.", "metadata",
                    "invalid_type");
        }
        if (m.size() > MAX_METADATA) {
            throw ApiException.invalidRequest("Invalid 'metadata': at most " + MAX_METADATA + " pairs, got "
                    + m.size() + ".", "metadata", "invalid_value");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = m.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().length() > 64) {
                throw ApiException.invalidRequest("Invalid 'metadata': keys are at most 64 characters.",
                        "metadata", "invalid_value");
            }
            if (!e.getValue().isTextual() || e.getValue().asText().length() > 512) {
                throw ApiException.invalidRequest("Invalid 'metadata." + e.getKey() + "': values are strings of at "
                        + "most 512 characters.", "metadata." + e.getKey(), "invalid_value");
            }
        }
        return Optional.of(m);
    }

    static OptionalLong outputExpiry(JsonNode e) {
        if (e == null || e.isNull()) {
            return OptionalLong.empty();
        }
        if (!e.isObject() || !"created_at".equals(e.path("anchor").asText(null))) {
            throw ApiException.invalidRequest("Invalid 'output_expires_after': expected {\"anchor\": \"created_at\", "
                    + "\"seconds\": N}.", "output_expires_after", "invalid_value");
        }
        JsonNode s = e.get("seconds");
        if (s == null || !s.isIntegralNumber() || s.asLong() < 3600 || s.asLong() > 2_592_000) {
            throw ApiException.invalidRequest("Invalid 'output_expires_after.seconds': a whole number from 3600 "
                    + "(1 hour) to 2592000 (30 days).", "output_expires_after.seconds", "invalid_value");
        }
        return OptionalLong.of(s.asLong());
    }
}
