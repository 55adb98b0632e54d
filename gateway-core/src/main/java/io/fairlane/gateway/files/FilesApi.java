package io.fairlane.gateway.files;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.FilesConfig;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Blocking;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestBody;
import io.fairlane.gateway.metrics.BatchMeters;
import io.fairlane.gateway.store.DurableState;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.function.Supplier;

/**
 * {@code /v1/files}: upload (multipart, streamed to storage as it arrives), list, retrieve, content, delete. Every
 * handler runs after authentication and touches storage only from virtual threads; the event loop just starts the
 * work and sends the answer.
 *
 * <p>Uploads are bounded in three ways: a declared {@code Content-Length} beyond the per-file limit is refused before
 * a byte of the body is read; the body is counted as it streams, so the per-file limit and the tenant's quota stop it
 * at the byte that crosses them; and at most {@value #MAX_UPLOADS} uploads run at once per process, each holding at
 * most about a megabyte of body in memory.
 */
public final class FilesApi {

    /** Uploads in progress at once, per process; beyond it new ones get 503. */
    static final int MAX_UPLOADS = 64;
    /** Multipart framing around the file (boundaries, part headers, the other fields) allowed beyond the file. */
    private static final long FRAMING_ALLOWANCE = 64 * 1024;
    private static final int MAX_LIST = 10_000;

    private final CompletableFuture<FileStore> store;
    private final Supplier<FilesConfig> limits;
    private final BatchMeters meters;
    private final ExecutorService executor;
    private final Semaphore uploads = new Semaphore(MAX_UPLOADS);

    public FilesApi(CompletableFuture<FileStore> store, Supplier<FilesConfig> limits, BatchMeters meters,
                    ExecutorService executor) {
        this.store = Objects.requireNonNull(store, "store");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.meters = Objects.requireNonNull(meters, "meters");
        this.executor = Objects.requireNonNull(executor, "executor");
    }

    /** The store, waiting for durable state to open; 503 when it is unavailable. */
    FileStore store() {
        return await(store);
    }

    /** Joins a feature's future, turning durable state that is off or broken into a 503. */
    public static <T> T await(CompletableFuture<T> future) {
        try {
            return future.join();
        } catch (CompletionException e) {
            throw StorageErrors.unavailable(e.getCause() == null ? e : e.getCause());
        }
    }

    /** {@code POST /v1/files} (a streaming route). */
    public HttpHandler upload() {
        return exchange -> {
            String boundary = MultipartReader.boundaryOf(exchange.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE));
            if (boundary == null) {
                throw ApiException.invalidRequest("Files are uploaded as multipart/form-data with a boundary; the "
                        + "Content-Type was '" + exchange.requestHeaders().get(HttpHeaderNames.CONTENT_TYPE) + "'.",
                        null, "invalid_content_type");
            }
            FilesConfig config = limits.get();
            long declared = declaredLength(exchange);
            if (declared > config.maxFileBytes() + FRAMING_ALLOWANCE) {
                throw new ApiException(new ApiError(413, "The upload (" + Upload.size(declared) + ") is larger than "
                        + "the " + Upload.size(config.maxFileBytes()) + " this server accepts per file.",
                        "invalid_request_error", "file", "file_too_large"));
            }
            if (!uploads.tryAcquire()) {
                throw ApiException.unavailable("Too many uploads are in progress on this server; retry shortly.", 2);
            }
            String tenant = exchange.tenant().id();
            RequestBody body = exchange.requestBody();
            body.enforceMinimumRate(config.uploadMinBytesPerSec(), config.uploadRateWindow());
            Blocking.respondJson(exchange, ignoringRejection(), () -> {
                try (InputStream in = body.stream()) {
                    FileObject file = new Upload(store(), config, tenant).run(in, boundary);
                    meters.fileUploaded(tenant, file.bytes());
                    return file.toJson();
                } finally {
                    uploads.release();
                }
            }, StorageErrors::translate);
        };
    }

    /** The body's declared {@code Content-Length}, or -1 (chunked, or not a number: the codec refused those). */
    private static long declaredLength(Exchange exchange) {
        String value = exchange.requestHeaders().get(HttpHeaderNames.CONTENT_LENGTH);
        try {
            return value == null ? -1 : Long.parseLong(value.strip());
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    private java.util.concurrent.Executor ignoringRejection() {
        return task -> {
            try {
                executor.execute(task);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                uploads.release();
                throw e;
            }
        };
    }

    /** {@code GET /v1/files}: {@code purpose}, {@code limit} (1..10000), {@code order} (asc, desc), {@code after}. */
    public HttpHandler list() {
        return exchange -> {
            Map<String, List<String>> q = new QueryStringDecoder(exchange.uri()).parameters();
            Optional<String> purpose = Queries.string(q, "purpose");
            int limit = Queries.limit(q, MAX_LIST, MAX_LIST);
            boolean ascending = Queries.order(q);
            Optional<String> after = Queries.string(q, "after");
            String tenant = exchange.tenant().id();
            Blocking.respondJson(exchange, executor, () -> {
                FileStore.Page page = store().list(tenant, purpose, limit, after, ascending);
                ObjectNode body = Json.MAPPER.createObjectNode();
                body.put("object", "list");
                ArrayNode data = body.putArray("data");
                page.data().forEach(f -> data.add(f.toJson()));
                if (page.data().isEmpty()) {
                    body.putNull("first_id");
                    body.putNull("last_id");
                } else {
                    body.put("first_id", page.data().getFirst().id());
                    body.put("last_id", page.data().getLast().id());
                }
                body.put("has_more", page.hasMore());
                return body;
            }, StorageErrors::translate);
        };
    }

    /** {@code GET /v1/files/{id}} and {@code GET /v1/files/{id}/content}, under {@code prefix}. */
    public HttpHandler get(String prefix) {
        return exchange -> {
            String rest = exchange.path().substring(prefix.length());
            boolean content = rest.endsWith("/content");
            String id = content ? rest.substring(0, rest.length() - "/content".length()) : rest;
            String tenant = exchange.tenant().id();
            if (!content) {
                Blocking.respondJson(exchange, executor, () -> find(tenant, id).toJson(), StorageErrors::translate);
                return;
            }
            exchange.log().endpoint = "files";
            executor.execute(() -> {
                FileObject file;
                InputStream in;
                try {
                    file = find(tenant, id);
                    in = store().open(file);
                } catch (Throwable t) {
                    Throwable answer = StorageErrors.translate(t);
                    Blocking.answer(exchange, () -> exchange.fail(answer));
                    return;
                }
                ContentSender.send(exchange, file, in);
            });
        };
    }

    /** {@code DELETE /v1/files/{id}}, under {@code prefix}. */
    public HttpHandler delete(String prefix) {
        return exchange -> {
            String id = exchange.path().substring(prefix.length());
            String tenant = exchange.tenant().id();
            Blocking.respondJson(exchange, executor, () -> {
                FileObject deleted = store().delete(tenant, id).orElseThrow(() -> notFound(id));
                ObjectNode body = Json.MAPPER.createObjectNode();
                body.put("id", deleted.id());
                body.put("object", "file");
                body.put("deleted", true);
                return body;
            }, StorageErrors::translate);
        };
    }

    private FileObject find(String tenant, String id) throws IOException {
        if (!Ids.looksLike(id, "file-")) {
            throw notFound(id);
        }
        return store().find(tenant, id).orElseThrow(() -> notFound(id));
    }

    /** OpenAI's answer for a file id that does not exist, or belongs to someone else (the two look the same). */
    public static ApiException notFound(String id) {
        return new ApiException(new ApiError(404, "No such File object: " + id, "invalid_request_error", "id",
                null));
    }

}
