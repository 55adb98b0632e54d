package io.fairlane.gateway.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.gateway.config.LocalModelConfig;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.lane.Lane;
import io.fairlane.gateway.lane.Lanes;
import io.fairlane.gateway.lane.local.LocalEngineBackend;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;

/**
 * One engine model's load as a router reads it from {@code GET /internal/load}: the numbers a router needs to spread
 * work and to read a replica's cache use, named as vLLM names them where it has a name
 * ({@code num_requests_waiting}, {@code num_requests_running}, {@code gpu_cache_usage_perc}), plus the free and total
 * KV blocks, the block size (the router's prefix key must use the engine's) and the prefix-cache counters (the
 * per-replica hit ratio). No tenant appears: the endpoint needs no key and reveals no one's traffic.
 *
 * @param model           the model id
 * @param waiting         requests waiting in the engine's tenant scheduler
 * @param running         sequences in the running batch
 * @param kvBlocksTotal   KV blocks of the pool
 * @param kvBlocksFree    KV blocks neither used nor kept as cached prefixes
 * @param blockSize       tokens per KV block
 * @param prefixQueries   prompt tokens looked up in the prefix cache since start
 * @param prefixHits      of those, tokens found
 */
public record EngineLoad(String model, int waiting, int running, int kvBlocksTotal, int kvBlocksFree, int blockSize,
                         long prefixQueries, long prefixHits) {

    /** The load of every local model of this process. */
    public static List<EngineLoad> of(Lanes lanes) {
        List<EngineLoad> out = new ArrayList<>();
        for (Lane lane : lanes.all()) {
            if (lane.backend() instanceof LocalEngineBackend local && lane.config() instanceof LocalModelConfig config) {
                EngineSnapshot s = local.engine().snapshot();
                long queries = s.tenants().values().stream().mapToLong(t -> t.prefixQueryTokens()).sum();
                long hits = s.tenants().values().stream().mapToLong(t -> t.prefixHitTokens()).sum();
                out.add(new EngineLoad(lane.id(), s.waiting(), s.running(), s.kvBlocksTotal(),
                        Math.max(0, s.kvBlocksTotal() - s.kvBlocksUsed()), config.kvBlockSize(),
                        queries, hits));
            }
        }
        return out;
    }

    public double cacheUsage() {
        return kvBlocksTotal == 0 ? 0 : 1.0 - (double) kvBlocksFree / kvBlocksTotal;
    }

    public double cacheHitRatio() {
        return prefixQueries == 0 ? 0 : (double) prefixHits / prefixQueries;
    }

    JsonNode toJson() {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("model", model).put("num_requests_waiting", waiting).put("num_requests_running", running)
                .put("gpu_cache_usage_perc", cacheUsage()).put("kv_blocks_free", kvBlocksFree)
                .put("kv_blocks_total", kvBlocksTotal).put("block_size", blockSize)
                .put("prefix_cache_queries", prefixQueries).put("prefix_cache_hits", prefixHits);
        return n;
    }

    static EngineLoad fromJson(JsonNode n) {
        return new EngineLoad(n.path("model").asText(), n.path("num_requests_waiting").asInt(),
                n.path("num_requests_running").asInt(), n.path("kv_blocks_total").asInt(),
                n.path("kv_blocks_free").asInt(), n.path("block_size").asInt(), n.path("prefix_cache_queries").asLong(),
                n.path("prefix_cache_hits").asLong());
    }

    /** Parses a {@code /internal/load} answer. */
    public static List<EngineLoad> parse(byte[] body) throws IOException {
        List<EngineLoad> out = new ArrayList<>();
        for (JsonNode m : Json.MAPPER.readTree(body).path("models")) {
            out.add(fromJson(m));
        }
        return out;
    }

    /** The {@code GET /internal/load} handler. */
    public static HttpHandler handler(Supplier<Lanes> lanes) {
        return exchange -> {
            exchange.log().endpoint = "load";
            ObjectNode body = Json.MAPPER.createObjectNode();
            ArrayNode models = body.putArray("models");
            for (EngineLoad l : of(lanes.get())) {
                models.add(l.toJson());
            }
            exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
        };
    }
}
