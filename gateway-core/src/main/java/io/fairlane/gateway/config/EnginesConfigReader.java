package io.fairlane.gateway.config;

import io.fairlane.gateway.config.RoutingConfig.Group;
import io.fairlane.gateway.config.RoutingConfig.Retry;
import io.fairlane.gateway.config.RoutingConfig.Saturation;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import io.fairlane.gateway.config.UpstreamModelConfig.Timeouts;
import io.fairlane.scheduler.Policy;
import io.fairlane.engine.EngineConfig;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.function.Function;

/**
 * Reads a model's {@code engines} section: a router's model served by Fairlane engine replicas. The result is an
 * upstream model whose targets are the replicas (one group; a DNS-discovered model starts with none and gains them
 * as the name resolves), with the {@link EnginesConfig} that tells the lane to place requests by prefix affinity.
 * Every problem is recorded with its path, as {@link ConfigLoader} does.
 */
final class EnginesConfigReader {

    private static final int DEFAULT_CONCURRENCY = 64;

    private EnginesConfigReader() {
    }

    /**
     * @param cacheDir where a synthetic model's built-in tokenizer is written
     * @param paths    a configured path as a file path ({@code ~} expanded)
     */
    static UpstreamModelConfig read(String id, ConfigNode n, Policy scheduling, String ownedBy,
                                    Map<String, String> env, Path cacheDir, Function<String, Path> paths) {
        List<URI> replicas = new ArrayList<>();
        Optional<String> dns = Optional.empty();
        String scheme = "http";
        int port = 8080;
        String basePath = "/v1";
        Duration refresh = Duration.ofSeconds(5);
        Optional<ConfigNode> discovery = n.section("discovery");
        if (discovery.isEmpty()) {
            n.error("discovery", "is required: {static: [urls]} or {dns: name, port: 8080}");
        } else {
            ConfigNode d = discovery.get();
            boolean isStatic = d.has("static");
            boolean isDns = d.has("dns");
            if (isStatic == isDns) {
                d.error(null, "give exactly one of 'static' (a list of replica URLs) or 'dns' (a name to resolve)");
            }
            if (isStatic) {
                Set<String> seen = new HashSet<>();
                List<String> urls = d.strings("static", List.of());
                for (int i = 0; i < urls.size(); i++) {
                    URI u = url(d, "static[" + i + "]", urls.get(i));
                    if (u != null && !seen.add(Target.defaultName(u))) {
                        d.error("static[" + i + "]", "lists " + Target.defaultName(u) + " twice");
                    } else if (u != null) {
                        replicas.add(u);
                    }
                }
                if (urls.isEmpty()) {
                    d.error("static", "needs at least one replica URL");
                }
            }
            if (isDns) {
                dns = Optional.ofNullable(d.requiredString("dns"));
                scheme = d.string("scheme", "http");
                if (!scheme.equals("http") && !scheme.equals("https")) {
                    d.error("scheme", "expected http or https, was '" + scheme + "'");
                    scheme = "http";
                }
                port = (int) d.integer("port", 8080, 1, 65535);
                basePath = d.string("base_path", "/v1");
                if (!basePath.isEmpty() && !basePath.startsWith("/")) {
                    d.error("base_path", "must start with '/', was '" + basePath + "'");
                    basePath = "/v1";
                }
                refresh = UpstreamConfigReader.positive(d, "refresh", refresh);
            }
            d.finish();
        }
        String policyName = n.string("policy", "affinity");
        EnginesConfig.Policy policy = switch (policyName.toLowerCase(Locale.ROOT)) {
            case "affinity" -> EnginesConfig.Policy.AFFINITY;
            case "round_robin" -> EnginesConfig.Policy.ROUND_ROBIN;
            default -> {
                n.error("policy", "expected affinity or round_robin, was '" + policyName + "'");
                yield EnginesConfig.Policy.AFFINITY;
            }
        };
        double epsilon = n.number("epsilon", 0.25, 0, 10, true);
        int prefixBlocks = (int) n.integer("prefix_blocks", 4, 1, 1024);
        int blockSize = (int) n.integer("block_size", 64, 1, 1 << 20);
        Optional<InternalKey> key = InternalKey.read(n, "internal_key_env", env);
        Optional<String> apiKeyEnv = Optional.ofNullable(n.string("api_key_env", null));
        Duration loadInterval = UpstreamConfigReader.positive(n, "load_interval", Duration.ofSeconds(2));
        int concurrency = (int) n.integer("max_concurrency", DEFAULT_CONCURRENCY, 1, 1_000_000);
        Timeouts timeouts = n.section("timeouts").map(t -> UpstreamConfigReader.timeouts(t, Timeouts.DEFAULT))
                .orElse(Timeouts.DEFAULT);
        int defaultMax = (int) n.integer("default_max_tokens", 1024, 1, 10_000_000);
        int attempts = (int) n.integer("max_attempts", 3, 1, 100);
        double quantum = n.number("tenant_quantum", 65536, 0, 1e12, true);
        Optional<EngineConfig.ModelSource> tokenizer = n.section("tokenizer").map(t -> tokenizer(t, cacheDir, paths));
        n.finish();
        if (id == null || (replicas.isEmpty() && dns.isEmpty())) {
            return null;
        }
        EnginesConfig engines = new EnginesConfig(replicas, dns, scheme, port, basePath, refresh, policy, epsilon,
                prefixBlocks, blockSize, key, apiKeyEnv, loadInterval, concurrency, timeouts, quantum,
                tokenizer);
        Retry retry = new Retry(Retry.DEFAULT_STATUSES, attempts, 0.2, 10, Duration.ofSeconds(2));
        RoutingConfig routing = new RoutingConfig(List.of(group(engines.replicas().stream().map(engines::target)
                .toList())), retry, RoutingConfig.Breaker.DEFAULT, List.of(), Optional.empty(),
                RoutingConfig.OutputLimits.DEFAULT);
        int lane = (int) Math.min(1_000_000, concurrency * 1024L); // the replicas' own slots are the real limit
        return new UpstreamModelConfig(id, routing, lane, 0, defaultMax, scheduling, ownedBy, false,
                Optional.of(engines));
    }

    /**
     * A model's tokenizer for the router, named as a local model's source is: a model directory ({@code path}, which
     * must hold tokenizer.json) or {@code synthetic} (the built-in tokenizer of every synthetic model). Only the
     * tokenizer and chat template are read, never weights. Null after an error.
     */
    private static EngineConfig.ModelSource tokenizer(ConfigNode t, Path cacheDir, Function<String, Path> paths) {
        Optional<ConfigNode> synthetic = t.section("synthetic");
        String path = t.string("path", null);
        EngineConfig.ModelSource source = null;
        if (synthetic.isPresent() == (path != null)) {
            t.error(null, "needs exactly one of 'path' (the model directory the engines load) or 'synthetic' (the"
                    + " engines' synthetic model spec)");
        } else if (synthetic.isPresent()) {
            ConfigNode s = synthetic.get();
            String shape = s.requiredString("shape");
            s.string("dtype", "f32"); // the same spec as the engines' model; the tokenizer does not depend on them
            s.integer("seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            s.finish();
            if (shape != null) {
                source = new EngineConfig.ModelSource.Synthetic(shape, "f32", 42, cacheDir.resolve("models"));
            }
        } else {
            Path dir = paths.apply(path);
            if (!Files.isRegularFile(dir.resolve("tokenizer.json"))) {
                t.error("path", "has no tokenizer.json: " + dir + " must be the model directory the engines load");
            } else {
                source = new EngineConfig.ModelSource.Directory(dir);
            }
        }
        t.finish();
        return source;
    }

    /** The one group a router model's replicas form. */
    static Group group(List<Target> replicas) {
        return new Group("engines", replicas, Saturation.NONE);
    }

    private static URI url(ConfigNode n, String key, String text) {
        try {
            URI u = new URI(text);
            if (u.getHost() == null || !("http".equals(u.getScheme()) || "https".equals(u.getScheme()))) {
                n.error(key, "expected an http(s) URL with a host, was '" + text + "'");
                return null;
            }
            return u;
        } catch (java.net.URISyntaxException e) {
            n.error(key, "is not a URL: " + e.getMessage());
            return null;
        }
    }
}
