package io.fairlane.gateway.config;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Preemption;
import io.fairlane.gateway.slo.SloSpec;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.RateLimits;
import io.fairlane.scheduler.ServiceTier;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * Reads {@code fairlane.yaml} into a {@link FairlaneConfig}. The YAML is parsed by Jackson's YAML module
 * (SnakeYAML underneath) into a tree, then walked once with every problem collected, so a broken file
 * is reported in full, each error with its path, and never half-applied.
 */
public final class ConfigLoader {

    /** The default port: what the README's curl example calls. */
    public static final int DEFAULT_PORT = 8080;
    private static final Pattern ID = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._:/@+-]{0,127}");
    private static final ObjectMapper YAML = new ObjectMapper(new YAMLFactory());

    private final Map<String, String> environment;

    public ConfigLoader() {
        this(System.getenv());
    }

    /** With an explicit environment, for tests ({@code FAIRLANE_CACHE}, {@code HOME}). */
    public ConfigLoader(Map<String, String> environment) {
        this.environment = Map.copyOf(environment);
    }

    public FairlaneConfig load(Path file) throws IOException {
        return parse(Files.readString(file), file.toString());
    }

    /**
     * Parses and validates a whole document.
     *
     * @throws ConfigException listing every error found
     */
    public FairlaneConfig parse(String yaml, String source) {
        JsonNode root;
        try {
            root = YAML.readTree(yaml);
        } catch (JsonProcessingException e) {
            String where = e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr();
            throw new ConfigException(source, List.of(new ConfigError("", "not valid YAML" + where + ": "
                    + e.getOriginalMessage())));
        }
        List<ConfigError> errors = new ArrayList<>();
        if (root == null || root.isMissingNode() || root.isNull()) {
            throw new ConfigException(source, List.of(new ConfigError("", "the file is empty")));
        }
        if (!root.isObject()) {
            throw new ConfigException(source, List.of(new ConfigError("", "expected a mapping at the top level")));
        }
        ConfigNode top = new ConfigNode(root, "", errors);
        ServerConfig server = server(top.section("server").orElse(new ConfigNode(YAML.createObjectNode(), "server", errors)));
        List<TenantConfig> tenants = tenants(top, errors);
        List<ModelConfig> models = models(top, server, tenants, errors);
        MetricsConfig metrics = metrics(top.section("metrics").orElse(new ConfigNode(YAML.createObjectNode(), "metrics", errors)));
        IdempotencyConfig idempotency = top.section("idempotency").map(ConfigLoader::idempotency)
                .orElse(IdempotencyConfig.DEFAULT);
        CaptureConfig capture = top.section("capture").map(this::capture).orElse(CaptureConfig.NONE);
        if (capture.file().isEmpty()) {
            tenants.stream().filter(TenantConfig::capture).findFirst().ifPresent(t -> errors.add(new ConfigError(
                    "capture.file", "is required: tenant '" + t.id() + "' opts in to capture")));
        }
        List<ApiKeyHash> adminKeys = adminKeys(top, tenants, errors);
        StoreConfig storage = StoreConfig.read(top.raw("storage"), environment, home(), errors);
        FilesConfig files = FilesConfig.read(top.section("files"));
        BatchesConfig batches = BatchesConfig.read(top.section("batches"));
        SharedStateConfig shared = SharedStateConfigReader.read(top.section("shared_state"));
        ResponsesConfig responses = top.section("responses").map(ResponsesConfig::read).orElse(ResponsesConfig.DEFAULT);
        top.finish();
        if (!errors.isEmpty()) {
            throw new ConfigException(source, errors);
        }
        return new FairlaneConfig(server, tenants, models, metrics, idempotency, capture, adminKeys, storage, files,
                batches, responses, shared);
    }

    /**
     * {@code admin_keys}: hashes of the keys that may call {@code /admin/...}, in the tenants' form. A key
     * may not be both an admin's and a tenant's: whoever holds it would act as either, which is exactly what
     * separating them is for.
     */
    private static List<ApiKeyHash> adminKeys(ConfigNode top, List<TenantConfig> tenants, List<ConfigError> errors) {
        List<String> texts = top.strings("admin_keys", List.of());
        List<ApiKeyHash> keys = new ArrayList<>();
        for (int i = 0; i < texts.size(); i++) {
            String path = "admin_keys[" + i + "]";
            try {
                ApiKeyHash h = ApiKeyHash.parse(texts.get(i));
                Optional<TenantConfig> owner = tenants.stream().filter(t -> t.apiKeys().contains(h)).findFirst();
                if (owner.isPresent()) {
                    errors.add(new ConfigError(path, "the same key is a key of tenant '" + owner.get().id()
                            + "'; give admins keys of their own"));
                } else if (keys.contains(h)) {
                    errors.add(new ConfigError(path, "duplicate admin key"));
                } else {
                    keys.add(h);
                }
            } catch (IllegalArgumentException e) {
                errors.add(new ConfigError(path, e.getMessage()));
            }
        }
        return keys;
    }

    private ServerConfig server(ConfigNode n) {
        String host = n.string("host", "127.0.0.1");
        int port = (int) n.integer("port", DEFAULT_PORT, 0, 65535);
        int loops = (int) n.integer("event_loops", 0, 0, 1024);
        ConfigNode limits = n.section("limits").orElse(null);
        long body = 16L * 1024 * 1024;
        int header = 16 * 1024;
        int uri = 8 * 1024;
        long buffered = 4L * 1024 * 1024;
        ClientLimits clientLimits = ClientLimits.DEFAULT;
        if (limits != null) {
            body = positiveSize(limits, "max_body_size", body, Integer.MAX_VALUE);
            header = (int) positiveSize(limits, "max_header_size", header, 1 << 20);
            uri = (int) positiveSize(limits, "max_uri_length", uri, 1 << 20);
            buffered = positiveSize(limits, "max_buffered_output", buffered, Integer.MAX_VALUE);
            clientLimits = ClientLimitsReader.limits(limits, clientLimits);
            limits.finish();
        }
        ConfigNode timeouts = n.section("timeouts").orElse(null);
        Duration idle = Duration.ofSeconds(75);
        Duration headerRead = Duration.ofSeconds(10);
        Duration slowClient = Duration.ofSeconds(30);
        if (timeouts != null) {
            idle = positive(timeouts, "idle", idle);
            headerRead = positive(timeouts, "header_read", headerRead);
            slowClient = positive(timeouts, "slow_client", slowClient);
            clientLimits = ClientLimitsReader.timeouts(timeouts, clientLimits);
            timeouts.finish();
        }
        Duration shutdown = positive(n, "shutdown_deadline", Duration.ofSeconds(30));
        int prepThreads = ServerConfig.DEFAULT_PREPARATION_THREADS;
        int prepQueue = ServerConfig.DEFAULT_PREPARATION_QUEUE;
        ConfigNode preparation = n.section("preparation").orElse(null);
        if (preparation != null) {
            prepThreads = (int) preparation.integer("threads", prepThreads, 0, 1024);
            prepQueue = (int) preparation.integer("queue", prepQueue, 1, 1_000_000);
            preparation.finish();
        }
        String cache = n.string("cache_dir", null);
        Path cacheDir = cache == null ? defaultCacheDir() : expandHome(cache);
        Optional<InternalKey> internalKey = InternalKey.read(n, "internal_key_env", environment);
        String transport = n.string("transport", "auto");
        if (!ServerConfig.TRANSPORTS.contains(transport)) {
            n.error("transport", "must be one of " + String.join(", ", ServerConfig.TRANSPORTS) + ", was '"
                    + transport + "'");
            transport = "auto";
        }
        n.finish();
        return new ServerConfig(host, port, loops, body, header, uri, idle, headerRead, shutdown, slowClient,
                buffered, cacheDir, prepThreads, prepQueue, clientLimits, internalKey, transport);
    }

    /** {@code $FAIRLANE_CACHE}, else {@code ~/.cache/fairlane}. */
    private Path defaultCacheDir() {
        String env = environment.get("FAIRLANE_CACHE");
        if (env != null && !env.isBlank()) {
            return expandHome(env);
        }
        return home().resolve(".cache").resolve("fairlane");
    }

    private Path home() {
        String h = environment.getOrDefault("HOME", System.getProperty("user.home"));
        return Path.of(h == null ? "." : h);
    }

    private Path expandHome(String p) {
        if (p.equals("~")) {
            return home();
        }
        if (p.startsWith("~/")) {
            return home().resolve(p.substring(2));
        }
        return Path.of(p);
    }

    static long positiveSize(ConfigNode n, String key, long fallback, long max) {
        long v = n.bytes(key, fallback);
        if (v <= 0 || v > max) {
            n.error(key, "must be > 0 and at most " + max + " bytes, was " + v);
            return fallback;
        }
        return v;
    }

    static Duration positive(ConfigNode n, String key, Duration fallback) {
        Duration d = n.duration(key, fallback);
        if (d.isZero() || d.isNegative()) {
            n.error(key, "must be longer than 0");
            return fallback;
        }
        return d;
    }

    private List<TenantConfig> tenants(ConfigNode top, List<ConfigError> errors) {
        List<ConfigNode> nodes = top.sections("tenants");
        if (nodes.isEmpty() && !top.has("tenants")) {
            errors.add(new ConfigError("tenants", "at least one tenant is required (nobody could call otherwise)"));
        }
        List<TenantConfig> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        Map<ApiKeyHash, String> keyOwners = new HashMap<>();
        for (ConfigNode t : nodes) {
            String id = t.requiredString("id");
            if (id != null && !ID.matcher(id).matches()) {
                t.error("id", "must be 1-128 letters, digits or ._:/@+- starting with a letter or digit, was '" + id + "'");
            } else if (id != null && !ids.add(id)) {
                t.error("id", "duplicate tenant id '" + id + "'");
            }
            List<ApiKeyHash> keys = new ArrayList<>();
            List<String> keyTexts = t.strings("api_keys", List.of());
            if (keyTexts.isEmpty()) {
                t.error("api_keys", "at least one key hash is required (print one with ./fairlane hash-key)");
            }
            for (int i = 0; i < keyTexts.size(); i++) {
                try {
                    ApiKeyHash h = ApiKeyHash.parse(keyTexts.get(i));
                    String owner = keyOwners.putIfAbsent(h, id);
                    if (owner != null) {
                        errors.add(new ConfigError(t.pathOf("api_keys") + "[" + i + "]",
                                "the same key is already given to tenant '" + owner + "'"));
                    }
                    keys.add(h);
                } catch (IllegalArgumentException e) {
                    errors.add(new ConfigError(t.pathOf("api_keys") + "[" + i + "]", e.getMessage()));
                }
            }
            double weight = t.number("weight", 1.0, 0, 1e6, true);
            Set<ServiceTier> tiers = EnumSet.noneOf(ServiceTier.class);
            List<String> tierNames = t.strings("service_tiers", List.of("default"));
            for (int i = 0; i < tierNames.size(); i++) {
                Optional<ServiceTier> tier = ServiceTier.fromWire(tierNames.get(i));
                if (tier.isEmpty()) {
                    errors.add(new ConfigError(t.pathOf("service_tiers") + "[" + i + "]",
                            "unknown tier '" + tierNames.get(i) + "'; expected priority, default or flex"));
                } else {
                    tiers.add(tier.get());
                }
            }
            if (tiers.isEmpty()) {
                tiers.add(ServiceTier.DEFAULT);
                if (!tierNames.isEmpty()) {
                    t.error("service_tiers", "needs at least one valid tier");
                }
            }
            OptionalDouble maxShare = t.has("max_share")
                    ? OptionalDouble.of(t.number("max_share", 1.0, 0, 1, true)) : OptionalDouble.empty();
            int queuedRequests = 1000;
            long queuedTokens = 10_000_000;
            Optional<ConfigNode> queue = t.section("queue");
            if (queue.isPresent()) {
                queuedRequests = (int) queue.get().integer("max_requests", queuedRequests, 1, Integer.MAX_VALUE);
                queuedTokens = queue.get().integer("max_tokens", queuedTokens, 1, Long.MAX_VALUE);
                queue.get().finish();
            }
            RateLimits limits = RateLimits.NONE;
            Optional<ConfigNode> rl = t.section("rate_limits");
            if (rl.isPresent()) {
                limits = new RateLimits(rl.get().integer("requests_per_minute", 0, 0, Long.MAX_VALUE),
                        rl.get().integer("tokens_per_minute", 0, 0, Long.MAX_VALUE));
                rl.get().finish();
            }
            Optional<String> cacheGroup = Optional.ofNullable(t.string("cache_group", null));
            List<SloSpec> slos = SloSection.read(t, errors);
            boolean capture = t.bool("capture", false);
            t.finish();
            if (id != null) {
                out.add(new TenantConfig(id, keys, weight, tiers, maxShare, queuedRequests, queuedTokens, limits,
                        cacheGroup, slos, capture));
            }
        }
        return out;
    }

    private List<ModelConfig> models(ConfigNode top, ServerConfig server, List<TenantConfig> tenants,
                                     List<ConfigError> errors) {
        UpstreamConfigReader upstreams = new UpstreamConfigReader(
                tenants.stream().map(TenantConfig::id).collect(java.util.stream.Collectors.toSet()));
        List<ConfigNode> nodes = top.sections("models");
        if (nodes.isEmpty() && !top.has("models")) {
            errors.add(new ConfigError("models", "at least one model is required"));
        }
        List<ModelConfig> out = new ArrayList<>();
        Set<String> ids = new HashSet<>();
        for (ConfigNode m : nodes) {
            String id = m.requiredString("id");
            if (id != null && !ID.matcher(id).matches()) {
                m.error("id", "must be 1-128 letters, digits or ._:/@+- starting with a letter or digit, was '" + id + "'");
            } else if (id != null && !ids.add(id)) {
                m.error("id", "duplicate model id '" + id + "'");
            }
            String ownedBy = m.string("owned_by", null);
            Scheduling scheduling = scheduling(m);
            Policy policy = scheduling.policy();
            Optional<ConfigNode> local = m.section("local");
            Optional<ConfigNode> upstream = m.section("upstream");
            Optional<ConfigNode> engines = m.section("engines");
            if ((local.isPresent() ? 1 : 0) + (upstream.isPresent() ? 1 : 0) + (engines.isPresent() ? 1 : 0) != 1) {
                m.error(null, "needs exactly one of 'local', 'upstream' or 'engines'");
            }
            ModelConfig model = null;
            if (local.isPresent()) {
                model = local(id, local.get(), scheduling, ownedBy == null ? "fairlane" : ownedBy, server);
            } else if (upstream.isPresent()) {
                if (scheduling.preemptionConfigured()) {
                    m.error("scheduler.preemption", "applies to local models only: an upstream lane cannot preempt a"
                            + " request it has already sent");
                }
                model = upstreams.read(id, upstream.get(), policy, ownedBy == null ? "upstream" : ownedBy);
            } else if (engines.isPresent()) {
                model = EnginesConfigReader.read(id, engines.get(), policy, ownedBy == null ? "fairlane" : ownedBy,
                        environment, server.cacheDir(), this::expandHome);
            }
            m.finish();
            if (id != null && model != null) {
                out.add(model);
            }
        }
        return out;
    }

    /** A model's {@code scheduler} section: the waiting queue's policy and, for local engines, preemption. */
    private record Scheduling(Policy policy, Preemption preemption, boolean preemptionConfigured) {
    }

    private static Scheduling scheduling(ConfigNode m) {
        Optional<ConfigNode> s = m.section("scheduler");
        if (s.isEmpty()) {
            Policy drr = new Policy.DeficitRoundRobin(4096);
            return new Scheduling(drr, Preemption.defaultFor(drr), false);
        }
        ConfigNode n = s.get();
        String name = n.string("policy", "drr");
        long quantum = n.integer("quantum", 4096, 1, Long.MAX_VALUE);
        String preemption = n.string("preemption", null);
        Duration window = n.duration("preemption_window", null);
        n.finish();
        Policy policy = switch (name) {
            case "fcfs" -> new Policy.Fcfs();
            case "drr" -> new Policy.DeficitRoundRobin(quantum);
            case "vtc" -> new Policy.VirtualTokenCounter();
            case "dlpm" -> new Policy.DeficitLongestPrefixMatch(quantum);
            default -> {
                n.error("policy", "unknown policy '" + name + "'; expected fcfs, drr, vtc or dlpm");
                yield new Policy.DeficitRoundRobin(quantum);
            }
        };
        boolean fair = preemption == null ? !(Preemption.defaultFor(policy) instanceof Preemption.None)
                : preemption.equals("fair");
        if (preemption != null && !preemption.equals("fair") && !preemption.equals("none")) {
            n.error("preemption", "expected none or fair, was '" + preemption + "'");
            fair = false;
        }
        if (window != null && !fair && (preemption == null || preemption.equals("none"))) {
            n.error("preemption_window", "has no meaning without preemption: fair (" + (preemption == null
                    ? "policy " + name + " defaults to none" : "preemption is none") + ")");
        }
        Preemption p = fair ? new Preemption.FairShare(window == null ? Preemption.DEFAULT_WINDOW : window)
                : Preemption.none();
        return new Scheduling(policy, p, preemption != null || window != null);
    }

    private LocalModelConfig local(String id, ConfigNode n, Scheduling scheduling, String ownedBy,
                                   ServerConfig server) {
        Optional<ConfigNode> synthetic = n.section("synthetic");
        String path = n.string("path", null);
        EngineConfig.ModelSource source = null;
        if (synthetic.isPresent() == (path != null)) {
            n.error(null, "needs exactly one of 'synthetic' or 'path'");
        }
        if (synthetic.isPresent()) {
            ConfigNode s = synthetic.get();
            String shape = s.requiredString("shape");
            String dtype = s.string("dtype", "f32");
            if (!dtype.equals("f32") && !dtype.equals("bf16")) {
                s.error("dtype", "expected f32 or bf16, was '" + dtype + "'");
            }
            long seed = s.integer("seed", 42, Long.MIN_VALUE, Long.MAX_VALUE);
            s.finish();
            if (shape != null) {
                source = new EngineConfig.ModelSource.Synthetic(shape, dtype, seed, server.cacheDir().resolve("models"));
            }
        } else if (path != null) {
            source = new EngineConfig.ModelSource.Directory(expandHome(path));
        }
        String backend = n.string("backend", "cpu");
        if (!List.of("cpu", "cuda", "auto").contains(backend)) {
            n.error("backend", "expected cpu, cuda or auto, was '" + backend + "'");
            backend = "cpu";
        }
        List<Integer> devices = n.integers("devices", List.of(0));
        int blockSize = 16;
        long kvBytes = 0;
        double fraction = 0.9;
        Optional<ConfigNode> kv = n.section("kv");
        if (kv.isPresent()) {
            blockSize = (int) kv.get().integer("block_size", 16, 1, 4096);
            kvBytes = kv.get().bytes("cache_size", 0);
            if (kvBytes < 0) {
                kv.get().error("cache_size", "must be >= 0");
                kvBytes = 0;
            }
            fraction = kv.get().number("device_memory_fraction", 0.9, 0, 1, true);
            kv.get().finish();
        }
        int batchTokens = (int) n.integer("max_batch_tokens", 2048, 1, 1 << 24);
        int running = (int) n.integer("max_running_sequences", 64, 1, 1 << 16);
        int threads = (int) n.integer("cpu_threads", 0, 0, 4096);
        boolean overlap = n.bool("overlap", true);
        Optional<String> effort = LocalModelConfig.reasoningEffort(n);
        n.finish();
        if (id == null || source == null) {
            return null;
        }
        return new LocalModelConfig(id, source, backend, devices, blockSize, kvBytes, fraction, batchTokens, running,
                threads, scheduling.policy(), scheduling.preemption(),
                overlap ? EngineConfig.Overlap.AUTO : EngineConfig.Overlap.OFF, ownedBy, effort);
    }

    private static IdempotencyConfig idempotency(ConfigNode n) {
        IdempotencyConfig d = IdempotencyConfig.DEFAULT;
        boolean enabled = n.bool("enabled", d.enabled());
        Duration window = positive(n, "window", d.window());
        int maxKeys = (int) n.integer("max_keys", d.maxKeys(), 1, 1 << 24);
        long maxBytes = positiveSize(n, "max_size", d.maxBytes(), Long.MAX_VALUE);
        long maxResponse = positiveSize(n, "max_response_size", Math.min(d.maxResponseBytes(), maxBytes), Long.MAX_VALUE);
        if (maxResponse > maxBytes) {
            n.error("max_response_size", "must not exceed max_size (" + maxBytes + " bytes)");
            maxResponse = maxBytes;
        }
        n.finish();
        return new IdempotencyConfig(enabled, window, maxKeys, maxBytes, maxResponse);
    }

    private CaptureConfig capture(ConfigNode n) {
        String file = n.string("file", null);
        long maxBody = positiveSize(n, "max_body_size", CaptureConfig.NONE.maxBodyBytes(), Integer.MAX_VALUE);
        n.finish();
        return new CaptureConfig(Optional.ofNullable(file).map(this::expandHome), maxBody);
    }

    private static MetricsConfig metrics(ConfigNode n) {
        boolean enabled = n.bool("enabled", true);
        String path = n.string("path", "/metrics");
        if (!path.startsWith("/")) {
            n.error("path", "must start with /");
            path = "/metrics";
        }
        List<Duration> buckets = MetricsConfig.DEFAULT_BUCKETS;
        List<String> texts = n.strings("latency_buckets", null);
        if (texts != null) {
            List<Duration> parsed = new ArrayList<>();
            for (int i = 0; i < texts.size(); i++) {
                try {
                    Duration d = Quantities.duration(texts.get(i));
                    if (d.isZero() || d.isNegative()) {
                        throw new IllegalArgumentException("must be longer than 0");
                    }
                    parsed.add(d);
                } catch (IllegalArgumentException e) {
                    n.error("latency_buckets[" + i + "]", e.getMessage());
                }
            }
            buckets = parsed.stream().sorted().distinct().toList();
        }
        n.finish();
        return new MetricsConfig(enabled, path, buckets);
    }
}
