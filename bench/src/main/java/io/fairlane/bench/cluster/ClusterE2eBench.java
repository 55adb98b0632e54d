package io.fairlane.bench.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.bench.BenchArgs;
import io.fairlane.engine.exec.KvLayout;
import io.fairlane.engine.model.ModelShape;
import io.fairlane.gateway.EngineOpener;
import io.fairlane.gateway.Gateway;
import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import java.io.BufferedReader;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The two tiers for real, in one JVM on loopback: three engine replicas (the CPU engine, a synthetic model) and two
 * routers in front of them, driven by a multi-tenant shared-prefix workload: each conversation has a long system
 * prompt of its own and a history that grows turn by turn, conversations run concurrently, each sends its turns one
 * after the other through alternating routers. Run once with {@code policy: round_robin} and once with
 * {@code affinity}, it prints per policy the replicas' prefix-cache hit ratio (from their {@code /internal/load}),
 * mean time to first token, throughput (requests per second) and Jain's fairness index over the tenants' request
 * rates; then, with affinity, one replica is closed halfway through a run: the requests that failed and the time
 * from the loss to the last failure (recovery). A first round-robin run warms the JVM up and is printed but not
 * compared.
 *
 * <p>The routers carry the engines' tokenizer ({@code tokenizer: {synthetic: ...}}): they render and tokenise each
 * chat once, key the ring by its token ids in the engines' KV blocks and hand the ids to the replica
 * ({@code --router-tokenizer off}: keyed by text, the engines tokenise). {@code --kv-cache-blocks} sizes each engine's
 * KV cache; the run prints the blocks each replica has and the workload's working set (the blocks of every
 * conversation's last prompt), so that the working set can be made larger than one replica's cache but smaller than
 * three: the regime where affinity's aggregate cache pays and round robin thrashes.
 *
 * <pre>
 * bench/cluster/e2e.sh [--tenants 4 --conversations 6 --turns 6 --system-chars 1200 --shape tiny --threads 1
 *     --kv-cache-blocks 8192 --router-tokenizer on]
 * </pre>
 */
public final class ClusterE2eBench {

    private static final String SECRET = "a-bench-key-shared-by-routers-and-engines-000000";
    /** The key routers present to the engines: the value of FAIRLANE_ENGINE_KEY (e2e.sh sets it). */
    private static final String ROUTER_KEY = System.getenv("FAIRLANE_ENGINE_KEY");
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private ClusterE2eBench() {
    }

    private record Outcome(String tenant, boolean ok, long startNanos, long ttftNanos, long endNanos,
                           int promptTokens) {
    }

    /** Tokens per KV block of the engines. */
    private static final int BLOCK_SIZE = 16;
    private static final Pattern PROMPT_TOKENS = Pattern.compile("\"prompt_tokens\"\\s*:\\s*(\\d+)");

    private record Figures(double hitRatio, double meanTtftMs, double rps, double jain, int errors) {
    }

    public static void main(String[] argv) throws Exception {
        BenchArgs args = BenchArgs.parse(List.of(argv), Set.of("tenants", "conversations", "turns", "system-chars",
                "shape", "threads", "max-tokens", "seed", "kv-cache-blocks", "router-tokenizer"));
        if (ROUTER_KEY == null || ROUTER_KEY.isEmpty()) {
            throw new IllegalStateException("set FAIRLANE_ENGINE_KEY: the key the routers call the engines with");
        }
        System.out.printf("%-12s %10s %12s %10s %8s %8s%n", "policy", "hit ratio", "mean TTFT ms", "req/s", "Jain",
                "errors");
        run(args, "round_robin", false); // warm-up: the engines' kernels compiled before anything is measured
        Figures rr = run(args, "round_robin", false);
        Figures aff = run(args, "affinity", false);
        System.out.printf("affinity / round robin: hit ratio %.2fx, mean TTFT %.2fx, throughput %.2fx%n",
                aff.hitRatio() / Math.max(1e-9, rr.hitRatio()), aff.meanTtftMs() / rr.meanTtftMs(),
                aff.rps() / rr.rps());
        run(args, "affinity", true);
    }

    private static Figures run(BenchArgs args, String policy, boolean kill) throws Exception {
        List<Gateway> engines = new ArrayList<>();
        List<Gateway> routers = new ArrayList<>();
        int tenants = (int) args.longValue("tenants", 4);
        try {
            List<String> urls = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Gateway g = Gateway.start(engineConfig(args, tenants), EngineOpener.engines());
                engines.add(g);
                urls.add("\"http://127.0.0.1:" + g.port() + "/v1\"");
            }
            for (int i = 0; i < 2; i++) {
                routers.add(Gateway.start(routerConfig(args, tenants, urls, policy), (m, t, s) -> {
                    throw new UnsupportedOperationException("a router opens no engine");
                }));
            }
            return drive(args, tenants, engines, routers, policy, kill);
        } finally {
            for (Gateway g : routers) {
                g.close();
            }
            for (Gateway g : engines) {
                g.close();
            }
        }
    }

    private static Figures drive(BenchArgs args, int tenants, List<Gateway> engines, List<Gateway> routers,
                                 String policy, boolean kill) throws Exception {
        int conversations = (int) args.longValue("conversations", 6);
        int turns = (int) args.longValue("turns", 6);
        int systemChars = (int) args.longValue("system-chars", 1200);
        int maxTokens = (int) args.longValue("max-tokens", 8);
        Random random = new Random(args.longValue("seed", 7));
        ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
        AtomicLong workingSet = new AtomicLong();
        int total = tenants * conversations;
        CountDownLatch done = new CountDownLatch(total);
        CountDownLatch half = new CountDownLatch(total * turns / 2);
        long start = System.nanoTime();
        for (int c = 0; c < total; c++) {
            String tenant = "tenant-" + (c % tenants);
            String system = words(random, systemChars);
            List<String> userTurns = new ArrayList<>();
            for (int k = 0; k < turns; k++) {
                userTurns.add(words(random, 120));
            }
            int conversation = c;
            Thread.ofVirtual().start(() -> {
                long sent = System.nanoTime();
                try {
                    StringBuilder history = new StringBuilder();
                    for (int k = 0; k < turns; k++) {
                        Gateway router = routers.get((conversation + k) % routers.size());
                        String messages = "[{\"role\":\"system\",\"content\":" + JSON.writeValueAsString(system) + "}"
                                + history + ",{\"role\":\"user\",\"content\":"
                                + JSON.writeValueAsString(userTurns.get(k)) + "}]";
                        sent = System.nanoTime();
                        Outcome o = request(router.port(), "sk-" + tenant, messages, maxTokens, tenant);
                        outcomes.add(o);
                        if (k == turns - 1 && o.promptTokens() > 0) {
                            workingSet.addAndGet((o.promptTokens() + BLOCK_SIZE - 1) / BLOCK_SIZE);
                        }
                        half.countDown();
                        history.append(",{\"role\":\"user\",\"content\":").append(JSON.writeValueAsString(
                                userTurns.get(k))).append("},{\"role\":\"assistant\",\"content\":\"ok\"}");
                    }
                } catch (Exception e) {
                    outcomes.add(new Outcome(tenant, false, sent, -1, System.nanoTime(), 0));
                } finally {
                    done.countDown();
                }
            });
        }
        long killedAt = -1;
        if (kill) {
            half.await();
            killedAt = System.nanoTime();
            engines.get(1).close();
        }
        done.await();
        long end = System.nanoTime();
        return report(policy + (kill ? "+kill" : ""), engines, kill ? 1 : -1, outcomes, tenants, start, end,
                killedAt, workingSet.get());
    }

    private static Figures report(String label, List<Gateway> engines, int dead, ConcurrentLinkedQueue<Outcome> all,
                                  int tenants, long start, long end, long killedAt, long workingSet)
            throws Exception {
        long queries = 0;
        long hits = 0;
        long blocks = 0;
        for (int i = 0; i < engines.size(); i++) {
            if (i == dead) {
                continue;
            }
            JsonNode load = JSON.readTree(HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:"
                    + engines.get(i).port() + "/internal/load")).build(), HttpResponse.BodyHandlers.ofString()).body());
            for (JsonNode m : load.path("models")) {
                queries += m.path("prefix_cache_queries").asLong();
                blocks = m.path("kv_blocks_total").asLong();
                hits += m.path("prefix_cache_hits").asLong();
            }
        }
        double ttft = all.stream().filter(o -> o.ok() && o.ttftNanos() > 0).mapToLong(Outcome::ttftNanos).average()
                .orElse(0) / 1e6;
        double seconds = (end - start) / 1e9;
        long ok = all.stream().filter(Outcome::ok).count();
        double[] perTenant = new double[tenants];
        for (Outcome o : all) {
            if (o.ok()) {
                perTenant[Integer.parseInt(o.tenant().substring("tenant-".length()))]++;
            }
        }
        double sum = 0;
        double squares = 0;
        for (double x : perTenant) {
            sum += x;
            squares += x * x;
        }
        double jain = squares == 0 ? 0 : sum * sum / (tenants * squares);
        int errors = (int) all.stream().filter(o -> !o.ok()).count();
        Figures f = new Figures(queries == 0 ? 0 : (double) hits / queries, ttft, ok / seconds, jain, errors);
        System.out.printf("%-12s %10.3f %12.1f %10.2f %8.3f %8d%n", label, f.hitRatio(), f.meanTtftMs(), f.rps(),
                f.jain(), f.errors());
        System.out.printf("  KV cache: %d blocks of %d tokens per replica; working set: %d blocks (%.1f replicas'"
                + " caches)%n", blocks, BLOCK_SIZE, workingSet, blocks == 0 ? 0 : (double) workingSet / blocks);
        if (killedAt > 0) {
            long lastFailure = all.stream().filter(o -> !o.ok()).mapToLong(Outcome::endNanos).max().orElse(killedAt);
            // Requests already sent when the replica went may fail (those it was serving end with an error); one
            // sent after the loss must not.
            long after = all.stream().filter(o -> !o.ok() && o.startNanos() >= killedAt).count();
            System.out.printf("replica lost at %.1f s: %d requests failed (%d in flight at the loss, %d sent after it),"
                    + " last failure %.2f s after the loss (recovery)%n", (killedAt - start) / 1e9, errors,
                    errors - after, after, Math.max(0, lastFailure - killedAt) / 1e9);
        }
        return f;
    }

    /** One streamed chat completion: time to its first content event, and whether it ended with [DONE]. */
    private static Outcome request(int port, String key, String messages, int maxTokens, String tenant)
            throws Exception {
        long t0 = System.nanoTime();
        HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/chat/completions"))
                .header("Authorization", "Bearer " + key).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"model\":\"tiny\",\"stream\":true,\"max_tokens\":"
                        + maxTokens + ",\"stream_options\":{\"include_usage\":true},\"messages\":" + messages
                        + "}")).build();
        HttpResponse<InputStream> response = HTTP.send(r, HttpResponse.BodyHandlers.ofInputStream());
        long ttft = -1;
        boolean finished = false;
        int promptTokens = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(response.body(), StandardCharsets.UTF_8))) {
            for (String line = in.readLine(); line != null; line = in.readLine()) {
                if (line.startsWith("data: [DONE]")) {
                    finished = true;
                } else if (line.startsWith("data: ") && ttft < 0 && line.contains("\"content\"")) {
                    ttft = System.nanoTime() - t0;
                }
                Matcher m = PROMPT_TOKENS.matcher(line);
                if (line.startsWith("data: ") && m.find()) {
                    promptTokens = Integer.parseInt(m.group(1));
                }
            }
        }
        return new Outcome(tenant, response.statusCode() == 200 && finished, t0, ttft, System.nanoTime(),
                promptTokens);
    }

    private static String words(Random random, int chars) {
        StringBuilder b = new StringBuilder();
        while (b.length() < chars) {
            int n = 3 + random.nextInt(6);
            for (int i = 0; i < n; i++) {
                b.append((char) ('a' + random.nextInt(26)));
            }
            b.append(' ');
        }
        return b.toString();
    }

    private static String tenants(int tenants, boolean routers) {
        StringBuilder b = new StringBuilder();
        if (routers) {
            b.append("  - {id: routers, api_keys: [\"").append(ApiKeyHash.of(ROUTER_KEY)).append("\"]}\n");
        }
        for (int t = 0; t < tenants; t++) {
            b.append("  - {id: tenant-").append(t).append(", api_keys: [\"").append(ApiKeyHash.of("sk-tenant-" + t))
                    .append("\"]}\n");
        }
        return b.toString();
    }

    /**
     * The engines' KV cache in bytes for {@code --kv-cache-blocks} (the f32 KV of the synthetic shape); 64 MiB
     * without it.
     */
    private static long kvCacheBytes(BenchArgs args) {
        long blocks = args.longValue("kv-cache-blocks", 0);
        if (blocks <= 0) {
            return 64L << 20;
        }
        ModelShape shape = ModelShape.named(args.get("shape", "tiny"));
        return blocks * new KvLayout(shape.layers(), shape.kvHeads(), shape.headDim(), BLOCK_SIZE, 4).bytesPerBlock();
    }

    private static FairlaneConfig engineConfig(BenchArgs args, int tenants) throws Exception {
        Path cache = Files.createTempDirectory("fairlane-e2e-engine");
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s, internal_key_env: KEY,
                         shutdown_deadline: 1s, limits: {max_connections_per_address: 0}}
                storage: {enabled: false}
                idempotency: {enabled: false}
                tenants:
                %smodels:
                  - id: tiny
                    local:
                      synthetic: {shape: %s, dtype: f32, seed: 7}
                      backend: cpu
                      kv: {block_size: %d, cache_size: %d}
                      max_running_sequences: 16
                      cpu_threads: %d
                """.formatted(cache, tenants(tenants, true), args.get("shape", "tiny"), BLOCK_SIZE, kvCacheBytes(args),
                args.longValue("threads", 1));
        return new ConfigLoader(Map.of("HOME", cache.toString(), "KEY", SECRET)).parse(yaml, "engine");
    }

    private static FairlaneConfig routerConfig(BenchArgs args, int tenants, List<String> urls, String policy)
            throws Exception {
        Path cache = Files.createTempDirectory("fairlane-e2e-router");
        String tokenizer = switch (args.get("router-tokenizer", "on")) {
            case "on" -> "tokenizer: {synthetic: {shape: " + args.get("shape", "tiny") + "}}";
            case "off" -> "";
            default -> throw new BenchArgs.UsageException("--router-tokenizer: expected on or off");
        };
        String yaml = """
                server: {host: 127.0.0.1, port: 0, event_loops: 1, cache_dir: %s,
                         limits: {max_connections_per_address: 0}}
                storage: {enabled: false}
                idempotency: {enabled: false}
                tenants:
                %smodels:
                  - id: tiny
                    engines:
                      discovery: {static: [%s]}
                      policy: %s
                      internal_key_env: KEY
                      api_key_env: FAIRLANE_ENGINE_KEY
                      load_interval: 200ms
                      timeouts: {connect: 1s}
                      %s
                """.formatted(cache, tenants(tenants, false), String.join(", ", urls), policy, tokenizer);
        return new ConfigLoader(Map.of("HOME", cache.toString(), "KEY", SECRET)).parse(yaml, "router");
    }
}
