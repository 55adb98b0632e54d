package io.fairlane.gateway.cluster;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.Engines;
import io.fairlane.engine.PromptTokenizer;
import io.fairlane.gateway.config.EnginesConfig;
import io.fairlane.gateway.config.TenantConfig;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import io.fairlane.gateway.lane.routing.ModelRouter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A router's view of one model's engine replicas: which exist ({@link Discovery}), which answer and how well their
 * prefix cache hits (each replica's {@code /internal/load}, read every {@code load_interval} on a virtual thread),
 * and in which order a request should try them ({@link AffinityRing} over its prefix key, or round robin). With the
 * model's tokenizer configured, the key is the prompt's token ids (chat template rendered and tokenised here, once:
 * the replica reuses them) cut into blocks of the engines' KV block size (each replica reports it) and hashed with
 * the KV cache's block hash and the tenant's cache salt ({@link PrefixKeys}): exactly the hash of the replica's own
 * cached blocks. Without it, the key is the canonical prompt text (each message's role and text, in order) in blocks
 * of {@code block_size} characters. Either way a conversation's long shared prefix keeps it on the replica that
 * caches it. A tenant that has spent its share of its preferred replica
 * ({@link ReplicaDeficits}, {@code tenant_quantum} tokens per round and replica) is sent where it still has credit.
 *
 * <p>Thread-safe: the ring is; discovery and the load reader report from their own threads.
 */
public final class EngineReplicas implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(EngineReplicas.class);
    private static final int POINTS_PER_REPLICA = 64;
    /** Load reads that time out or fail in a row before a replica that still accepts connections is marked down. */
    private static final int FAILURES_TO_DOWN = 3;

    private final String model;
    private final EnginesConfig config;
    private final AffinityRing ring;
    private final Consumer<List<Target>> onChange;
    private final Optional<SignedTenant> signer;
    /** The model's prompt path (tokenizer and chat template), when configured. */
    private final PromptTokenizer tokenizer;
    /** The engines' KV block size: the configured one until a replica reports its own. */
    private volatile int engineBlockSize;
    private final Map<String, URI> urls = new ConcurrentHashMap<>();
    private final Map<String, EngineLoad> loads = new ConcurrentHashMap<>();
    private final Map<String, Boolean> down = new ConcurrentHashMap<>();
    private final Map<String, Integer> failures = new ConcurrentHashMap<>();
    private final Duration readTimeout;
    private final AtomicLong turn = new AtomicLong();
    private final ReplicaDeficits deficits;
    private final HttpClient http;
    private final Discovery discovery;
    private final Thread poller;
    private volatile boolean closed;

    /**
     * @param onChange told the replicas' targets whenever the set changes (first, now, for a static list)
     */
    public EngineReplicas(String model, EnginesConfig config, Consumer<List<Target>> onChange) {
        this.model = model;
        this.config = config;
        this.onChange = onChange;
        this.ring = new AffinityRing(config.epsilon(), POINTS_PER_REPLICA);
        this.deficits = new ReplicaDeficits(config.tenantQuantum());
        this.signer = config.internalKey().map(k -> new SignedTenant(new TrustedTokenIds(k.bytes())));
        this.tokenizer = config.tokenizer().map(source -> Engines.promptTokenizer(model, source)).orElse(null);
        this.engineBlockSize = config.blockSize();
        this.readTimeout = Duration.ofMillis(Math.max(2000, 2 * config.loadInterval().toMillis()));
        this.http = HttpClient.newBuilder().connectTimeout(config.timeouts().connect()).build();
        this.discovery = config.dnsName().isPresent()
                ? Discovery.dns(config.scheme(), config.dnsName().get(), config.port(), config.refresh(),
                        Discovery.resolverFor(config.dnsName().get()), this::discovered)
                : Discovery.fixed(config.replicas(), this::discovered);
        this.poller = Thread.ofVirtual().name("engine-load-" + model).start(this::poll);
    }

    private void discovered(Set<URI> found) {
        List<Target> targets = new ArrayList<>();
        for (URI u : found) {
            URI url = config.dnsName().isPresent() ? config.urlOf(u) : u;
            Target t = config.target(url);
            targets.add(t);
            urls.put(t.name(), url);
        }
        List<String> names = targets.stream().map(Target::name).toList();
        urls.keySet().retainAll(names);
        loads.keySet().retainAll(names);
        down.keySet().retainAll(names);
        failures.keySet().retainAll(names);
        ring.replicas(names);
        onChange.accept(List.copyOf(targets));
    }

    /** Reads every replica's load now and then; a replica that does not answer is marked down on the ring. */
    private void poll() {
        while (!closed) {
            for (Map.Entry<String, URI> e : urls.entrySet()) {
                readLoad(e.getKey(), e.getValue());
            }
            try {
                Thread.sleep(config.loadInterval());
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    private void readLoad(String name, URI base) {
        URI load = base.resolve("/internal/load");
        try {
            HttpResponse<byte[]> r = http.send(HttpRequest.newBuilder(load).timeout(readTimeout).GET().build(),
                    HttpResponse.BodyHandlers.ofByteArray());
            if (r.statusCode() != 200) {
                throw new java.io.IOException("status " + r.statusCode());
            }
            for (EngineLoad l : EngineLoad.parse(r.body())) {
                if (l.model().equals(model)) {
                    loads.put(name, l);
                    if (l.blockSize() > 0) {
                        engineBlockSize = l.blockSize();
                    }
                }
            }
            failures.remove(name);
            if (down.remove(name) != null) {
                LOG.info("model {}: engine replica {} answers again", model, name);
            }
            ring.healthy(name, true);
        } catch (java.io.IOException | RuntimeException e) {
            // A refused connection means the replica is gone; a slow answer may only mean it is busy, so it takes
            // several in a row.
            int n = failures.merge(name, 1, Integer::sum);
            if (e instanceof java.net.ConnectException || n >= FAILURES_TO_DOWN) {
                if (down.put(name, Boolean.TRUE) == null) {
                    LOG.warn("model {}: engine replica {} does not answer {} ({})", model, name, load, e.toString());
                }
                ring.healthy(name, false);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * The order in which {@code tenant}'s request with body {@code body} should try the replicas, given each
     * replica's in-flight count at this router.
     */
    public ModelRouter.Preference prefer(TenantConfig tenant, ObjectNode body, ToIntFunction<String> inFlight) {
        return prefer(tenant, body, null, inFlight);
    }

    /**
     * {@link #prefer(TenantConfig, ObjectNode, ToIntFunction)} for a prompt whose token ids are known: keyed by the
     * ids in the engines' KV blocks; by the canonical text when {@code tokenIds} is null.
     */
    public ModelRouter.Preference prefer(TenantConfig tenant, ObjectNode body, int[] tokenIds,
                                         ToIntFunction<String> inFlight) {
        if (config.policy() == EnginesConfig.Policy.ROUND_ROBIN) {
            List<String> names = new ArrayList<>(ring.replicas());
            names.sort(null);
            if (names.isEmpty()) {
                return new ModelRouter.Preference(null, List.of(), "round_robin");
            }
            int first = (int) Math.floorMod(turn.getAndIncrement(), (long) names.size());
            List<String> order = new ArrayList<>(names.subList(first, names.size()));
            order.addAll(names.subList(0, first));
            return new ModelRouter.Preference(order.getFirst(), order, "round_robin");
        }
        Long key;
        double cost;
        if (tokenIds != null) {
            key = key(tokenIds, tenant);
            cost = tokenIds.length;
        } else {
            String prompt = canonicalPrompt(body);
            key = key(prompt, tenant);
            cost = prompt.length() / 4.0; // about 4 characters per token
        }
        AffinityRing.Order order = ring.order(key, inFlight);
        List<String> tries = order.order();
        Set<String> healthy = ring.healthyReplicas();
        if (!tries.isEmpty() && !healthy.isEmpty()) {
            // A tenant past its share of its preferred replica goes where it still has credit.
            String chosen = deficits.choose(tenant.id(), tenant.weight(), tries.getFirst(), healthy, cost);
            if (chosen != null && !chosen.equals(tries.getFirst())) {
                List<String> moved = new ArrayList<>(tries);
                moved.remove(chosen);
                moved.addFirst(chosen);
                tries = moved;
            }
        }
        return new ModelRouter.Preference(order.home(), tries, "affinity");
    }

    /**
     * The ring position of a tokenised prompt's first blocks for {@code tenant}, in the engines' KV blocks: the hash
     * of the replica's own cached block; null when it is shorter than one block.
     */
    Long key(int[] tokenIds, TenantConfig tenant) {
        var hash = PrefixKeys.key(tokenIds, engineBlockSize, tenant, config.prefixBlocks());
        return hash == null ? null : PrefixKeys.position(hash);
    }

    /** Whether the router tokenises prompts (the model's tokenizer is configured). */
    public boolean tokenizes() {
        return tokenizer != null;
    }

    /** The model's prompt path; only when {@link #tokenizes}. */
    public PromptTokenizer tokenizer() {
        if (tokenizer == null) {
            throw new IllegalStateException("model " + model + " has no tokenizer configured");
        }
        return tokenizer;
    }

    /** The KV block size the key uses now: the engines' as last reported, else the configured one. */
    public int blockSize() {
        return engineBlockSize;
    }

    /** The ring position of a prompt's first blocks for {@code tenant}; null when it is shorter than one block. */
    Long key(String prompt, TenantConfig tenant) {
        int[] units = prompt.codePoints().limit((long) config.prefixBlocks() * config.blockSize()).toArray();
        var hash = PrefixKeys.key(units, config.blockSize(), tenant, config.prefixBlocks());
        return hash == null ? null : PrefixKeys.position(hash);
    }

    /**
     * A prompt as text, the same for the same conversation however its JSON is spaced: each chat message's role
     * and text in order, or a completion's prompt.
     */
    static String canonicalPrompt(ObjectNode body) {
        StringBuilder b = new StringBuilder();
        JsonNode messages = body.path("messages");
        if (messages.isArray()) {
            for (JsonNode m : messages) {
                b.append(m.path("role").asText()).append('\n');
                JsonNode content = m.path("content");
                if (content.isTextual()) {
                    b.append(content.asText());
                } else if (content.isArray()) {
                    for (JsonNode part : content) {
                        b.append(part.path("text").asText());
                    }
                }
                b.append('\n');
            }
        } else if (body.path("prompt").isTextual()) {
            b.append(body.path("prompt").asText());
        } else if (body.path("input").isTextual()) {
            b.append(body.path("input").asText());
        }
        return b.toString();
    }

    /** What signs the caller's tenant for the replicas, when a key is configured. */
    public Optional<SignedTenant> signer() {
        return signer;
    }

    /** A replica's prefix-cache hit ratio for this model, as it last reported it (0 before its first report). */
    public double cacheHitRatio(String replica) {
        EngineLoad l = loads.get(replica);
        return l == null ? 0 : l.cacheHitRatio();
    }

    public String model() {
        return model;
    }

    @Override
    public void close() {
        closed = true;
        discovery.close();
        poller.interrupt();
    }

    @Override
    public String toString() {
        return "EngineReplicas[" + model + ", " + urls.size() + " replicas]";
    }
}
