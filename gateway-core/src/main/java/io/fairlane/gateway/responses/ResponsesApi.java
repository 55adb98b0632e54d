package io.fairlane.gateway.responses;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.config.ResponsesConfig;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.PreparationPool;
import io.fairlane.gateway.lane.Lane;
import io.fairlane.gateway.lane.Lanes;
import io.fairlane.gateway.lane.RequestContext;
import io.fairlane.gateway.openai.Bodies;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.ResponsesRequest;
import io.fairlane.gateway.openai.ServiceTiers;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.QueryStringDecoder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code /v1/responses} endpoints.
 *
 * <p>{@code POST /v1/responses}: parse and validate (in the {@link PreparationPool} when large), resolve the lane,
 * load the response a {@code previous_response_id} continues (the tenant's own only), then hand the request to the
 * lane as a chat completion ({@link ChatTranslation}) with a filter that answers in the Responses API's shapes
 * ({@link ChatAsResponses}), or, to an upstream that speaks the Responses API, as it came ({@link UpstreamResponses}).
 * The lane schedules, meters and answers it as any chat completion. A finished response is stored unless the request
 * said {@code store: false}.
 *
 * <p>{@code GET /v1/responses/{id}}, {@code DELETE /v1/responses/{id}} and
 * {@code GET /v1/responses/{id}/input_items}: the tenant's stored responses; another tenant's id is a 404.
 *
 * <p>Handlers run on the exchange's event loop; store reads answer on the store's threads and hop back.
 */
public final class ResponsesApi {

    private static final Logger LOG = LoggerFactory.getLogger(ResponsesApi.class);
    public static final String PREFIX = "/v1/responses/";
    private static final String INPUT_ITEMS = "/input_items";

    /** How the chat endpoint resolves a request's tier and counts it in flight: the same for responses. */
    @FunctionalInterface
    public interface Contexts {
        RequestContext start(Exchange exchange, Lane lane, String requestedTier);
    }

    private final Supplier<Lanes> lanes;
    private final Contexts contexts;
    private final PreparationPool pool;
    private final ResponseStore store;
    private final ResponsesConfig config;
    private final LongSupplier clock;

    /**
     * @param clock epoch milliseconds
     */
    public ResponsesApi(Supplier<Lanes> lanes, Contexts contexts, PreparationPool pool, ResponseStore store,
                        ResponsesConfig config, LongSupplier clock) {
        this.lanes = Objects.requireNonNull(lanes, "lanes");
        this.contexts = Objects.requireNonNull(contexts, "contexts");
        this.pool = Objects.requireNonNull(pool, "pool");
        this.store = Objects.requireNonNull(store, "store");
        this.config = Objects.requireNonNull(config, "config");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    // ---------------------------------------------------------------- create

    /** {@code POST /v1/responses}. */
    public HttpHandler create() {
        return exchange -> {
            exchange.log().endpoint = "responses";
            pool.parse(exchange, body -> ResponsesRequest.parse(Bodies.parse(body)), request -> {
                exchange.log().stream = request.stream();
                Lane lane = lanes.get().resolve(request.model());
                if (request.previousResponseId() == null) {
                    serve(exchange, request, lane, null);
                    return;
                }
                String id = request.previousResponseId();
                whenStored(exchange, store.get(exchange.tenant().id(), id), found -> serve(exchange, request, lane,
                        found.orElseThrow(() -> new ApiException(new ApiError(400, "Previous response with id '" + id
                                + "' not found.", "invalid_request_error", "previous_response_id",
                                "previous_response_not_found")))));
            });
        };
    }

    /** What a create request becomes once its conversation is known: the chat request, or the forwarded body. */
    private record Prepared(Conversation conversation, ChatCompletionRequest chat, ObjectNode forwarded) {
    }

    private void serve(Exchange exchange, ResponsesRequest request, Lane lane, StoredResponse previous)
            throws Exception {
        boolean local = "local".equals(lane.backend().kind());
        int image = request.firstNonTextInput();
        if (local && image >= 0) {
            throw ApiException.unsupported("input[" + image + "].content", "carries images or files, which model '"
                    + lane.id() + "' cannot read.");
        }
        RequestContext context = contexts.start(exchange, lane, request.serviceTier());
        boolean forwardAsIs = lane.backend().speaksResponses();
        String tenant = context.tenant().id();
        Conversation[] conversation = new Conversation[1];
        Consumer<ObjectNode> onFinished = response -> keep(tenant, lane.id(), request, response, conversation[0]);
        exchange.filter(forwardAsIs ? new UpstreamResponses(exchange.alloc(), onFinished)
                : new ChatAsResponses(new ResponseDraft(request, ServiceTiers.wire(context.tier())), exchange.alloc(),
                        onFinished));
        long size = exchange.body().readableBytes() + (previous == null ? 0 : previous.size());
        pool.run(exchange, size <= PreparationPool.PARSE_INLINE_LIMIT, () -> {
            Conversation c = Conversation.of(request, previous);
            if (forwardAsIs) {
                ObjectNode body = request.raw().deepCopy();
                if (previous != null) {
                    body.remove("previous_response_id");
                    ArrayNode input = body.putArray("input");
                    c.items().forEach(input::add);
                }
                return new Prepared(c, null, body);
            }
            return new Prepared(c, ChatCompletionRequest.parse(ChatTranslation.body(request, c.items(), local)), null);
        }, prepared -> {
            conversation[0] = prepared.conversation();
            int stored = prepared.conversation().json().length;
            if (request.store() && stored > config.maxResponseBytes()) {
                throw new ApiException(new ApiError(400, "The input of this response is " + stored + " bytes, more "
                        + "than a stored response may hold (" + config.maxResponseBytes() + "). Send 'store': false, "
                        + "or a shorter input.", "invalid_request_error", "store", "response_too_large"));
            }
            if (forwardAsIs) {
                lane.backend().responses(exchange, prepared.forwarded(), previous == null, request.stream(),
                        request.maxOutputTokens(), context);
            } else {
                lane.backend().chat(exchange, prepared.chat(), context);
            }
        });
    }

    /** Stores a finished response when its request asked for that (the default). */
    private void keep(String tenant, String model, ResponsesRequest request, ObjectNode response,
                      Conversation conversation) {
        if (!request.store() || conversation == null) {
            return;
        }
        try {
            byte[] bytes = Json.MAPPER.writeValueAsBytes(response);
            long now = clock.getAsLong();
            String id = response.path("id").asText();
            if (!store.put(new StoredResponse(tenant, id, model, now, now + config.ttl().toMillis(), bytes,
                    conversation.json()))) {
                LOG.info("response {} of tenant {} is not stored: {} bytes is over max_response_size ({})", id,
                        tenant, bytes.length + conversation.json().length, config.maxResponseBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ---------------------------------------------------------------- retrieve, delete, list

    /** {@code GET /v1/responses/{id}} and {@code GET /v1/responses/{id}/input_items}. */
    public HttpHandler retrieve() {
        return exchange -> {
            exchange.log().endpoint = "responses";
            String rest = exchange.path().substring(PREFIX.length());
            QueryStringDecoder query = new QueryStringDecoder(exchange.uri());
            if (rest.endsWith(INPUT_ITEMS)) {
                String id = id(rest.substring(0, rest.length() - INPUT_ITEMS.length()), exchange);
                Listing listing = Listing.of(query);
                whenStored(exchange, store.get(exchange.tenant().id(), id), found -> {
                    StoredResponse r = found.orElseThrow(() -> notFound(id));
                    pool.run(exchange, r.items().length <= PreparationPool.PARSE_INLINE_LIMIT,
                            () -> listing.page(r.items()), page ->
                                    exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), page)));
                });
                return;
            }
            String id = id(rest, exchange);
            if (query.parameters().containsKey("stream")) {
                throw ApiException.unsupported("stream", "is not supported: a stored response is complete; fetch it "
                        + "without 'stream'.");
            }
            whenStored(exchange, store.get(exchange.tenant().id(), id), found ->
                    exchange.respond(HttpResponseStatus.OK,
                            Unpooled.wrappedBuffer(found.orElseThrow(() -> notFound(id)).response())));
        };
    }

    /** {@code DELETE /v1/responses/{id}}. */
    public HttpHandler delete() {
        return exchange -> {
            exchange.log().endpoint = "responses";
            String id = id(exchange.path().substring(PREFIX.length()), exchange);
            whenStored(exchange, store.delete(exchange.tenant().id(), id), deleted -> {
                if (!deleted) {
                    throw notFound(id);
                }
                ObjectNode body = Json.MAPPER.createObjectNode();
                body.put("id", id);
                body.put("object", "response.deleted");
                body.put("deleted", true);
                exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
            });
        };
    }

    /** {@code POST /v1/responses/{id}/cancel} and other paths below it: background responses do not exist here. */
    public HttpHandler other() {
        return exchange -> {
            exchange.log().endpoint = "responses";
            if (exchange.method().equals(HttpMethod.POST) && exchange.path().endsWith("/cancel")) {
                throw ApiException.invalidRequest("Only background responses can be cancelled, and background "
                        + "responses are not supported here.", null, "unsupported_parameter");
            }
            throw new ApiException(new ApiError(404, "Invalid URL (" + exchange.method() + " " + exchange.path()
                    + ")", "invalid_request_error", null, null));
        };
    }

    private static String id(String text, Exchange exchange) {
        String id = QueryStringDecoder.decodeComponent(text);
        if (id.isEmpty() || id.contains("/") || id.length() > 160) {
            throw new ApiException(new ApiError(404, "Invalid URL (" + exchange.method() + " " + exchange.path() + ")",
                    "invalid_request_error", null, null));
        }
        return id;
    }

    private static ApiException notFound(String id) {
        return new ApiException(new ApiError(404, "No response with id '" + id + "' was found.",
                "invalid_request_error", null, null));
    }

    /** What to do with a store's answer, on the exchange's loop. */
    @FunctionalInterface
    private interface Then<T> {
        void accept(T value) throws Exception;
    }

    /** Continues on the exchange's event loop once the store answered; a store failure is a 503. */
    private static <T> void whenStored(Exchange exchange, CompletableFuture<T> answer, Then<T> then) {
        answer.whenComplete((value, error) -> exchange.tryExecute(() -> {
            if (exchange.isDone()) {
                return;
            }
            try {
                if (error != null) {
                    LOG.warn("request {}: the response store failed", exchange.requestId(), error);
                    throw ApiException.unavailable("The response store is not available right now.", 1);
                }
                then.accept(value);
            } catch (Throwable t) {
                exchange.fail(t);
            }
        }));
    }

    /**
     * A page of {@code input_items}: {@code limit} (1 to 100, default 20), {@code order} ({@code desc}, the default,
     * newest first; or {@code asc}), {@code after} (an item id).
     */
    record Listing(int limit, boolean ascending, String after) {

        static Listing of(QueryStringDecoder query) {
            int limit = 20;
            String l = first(query, "limit");
            if (l != null) {
                try {
                    limit = Integer.parseInt(l);
                } catch (NumberFormatException e) {
                    limit = -1;
                }
                if (limit < 1 || limit > 100) {
                    throw ApiException.invalidRequest("Invalid 'limit': expected an integer from 1 to 100, but got '"
                            + l + "' instead.", "limit", "invalid_value");
                }
            }
            String order = first(query, "order");
            if (order != null && !order.equals("asc") && !order.equals("desc")) {
                throw ApiException.invalidRequest("Invalid value: '" + order + "'. Supported values are: 'asc' and "
                        + "'desc'.", "order", "invalid_value");
            }
            return new Listing(limit, "asc".equals(order), first(query, "after"));
        }

        private static String first(QueryStringDecoder query, String name) {
            List<String> values = query.parameters().get(name);
            return values == null || values.isEmpty() ? null : values.getFirst();
        }

        ObjectNode page(byte[] items) throws IOException {
            List<JsonNode> all = new ArrayList<>();
            Json.MAPPER.readTree(items).forEach(all::add);
            if (!ascending) {
                Collections.reverse(all);
            }
            int from = 0;
            if (after != null) {
                Optional<Integer> at = Optional.empty();
                for (int i = 0; i < all.size() && at.isEmpty(); i++) {
                    if (after.equals(all.get(i).path("id").asText())) {
                        at = Optional.of(i);
                    }
                }
                from = at.orElseThrow(() -> ApiException.invalidRequest("Invalid 'after': no input item with id '"
                        + after + "' in this response.", "after", "invalid_value")) + 1;
            }
            List<JsonNode> page = all.subList(from, Math.min(all.size(), from + limit));
            ObjectNode list = Json.MAPPER.createObjectNode();
            list.put("object", "list");
            ArrayNode data = list.putArray("data");
            page.forEach(data::add);
            if (page.isEmpty()) {
                list.putNull("first_id");
                list.putNull("last_id");
            } else {
                list.put("first_id", page.getFirst().path("id").asText());
                list.put("last_id", page.getLast().path("id").asText());
            }
            list.put("has_more", from + page.size() < all.size());
            return list;
        }
    }
}
