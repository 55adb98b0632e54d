package io.fairlane.gateway.config;

import io.fairlane.engine.EngineConfig;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * How a router spreads one model over Fairlane engine replicas (a model's {@code engines} section): where the
 * replicas are (a static list of base URLs, or a DNS name re-resolved every {@code refresh}, such as a Kubernetes
 * headless Service), how a request picks one (prefix affinity with bounded loads, or round robin for comparison),
 * and the key that signs the caller's tenant and token ids for the engine.
 *
 * @param replicas           static base URLs (with the API prefix, e.g. {@code http://10.0.0.5:8080/v1}); empty
 *                           with DNS discovery
 * @param dnsName            the name whose addresses are the replicas, when discovery is by DNS
 * @param scheme             {@code http} or {@code https}, for DNS-discovered replicas
 * @param port               the replicas' port, for DNS-discovered replicas
 * @param basePath           the API prefix of DNS-discovered replicas ({@code /v1})
 * @param refresh            how often the DNS name is resolved again
 * @param policy             how a replica is picked
 * @param epsilon            how far above the average in-flight count a replica may go before a key spills
 * @param prefixBlocks       how many prompt blocks the routing key covers
 * @param blockSize          units per key block: characters of the canonical prompt without a tokenizer; with one,
 *                           tokens, until the replicas report their KV block size (which then replaces it)
 * @param internalKey        the key shared by routers and engines (from {@code internal_key_env}); absent:
 *                           requests go unsigned and engines see the router's own tenant
 * @param apiKeyEnv          environment variable with the API key the router presents to the engines
 * @param loadInterval       how often each replica's {@code /internal/load} is read
 * @param maxConcurrency     requests in flight to one replica at once
 * @param timeouts           limits on each attempt at a replica
 * @param tenantQuantum      prompt tokens a weight-1 tenant may send to one replica per round before it is sent
 *                           where it still has credit (per-tenant fairness across replicas)
 * @param tokenizer          the model's tokenizer and chat template (a model directory or the synthetic models'
 *                           built-in one), so that the router renders and tokenises the prompt once, keys it in the
 *                           engines' own KV blocks and hands the ids to the replica; absent: keyed by text
 */
public record EnginesConfig(List<URI> replicas, Optional<String> dnsName, String scheme, int port, String basePath,
                            Duration refresh, Policy policy, double epsilon, int prefixBlocks, int blockSize,
                            Optional<InternalKey> internalKey, Optional<String> apiKeyEnv, Duration loadInterval,
                            int maxConcurrency, UpstreamModelConfig.Timeouts timeouts, double tenantQuantum,
                            Optional<EngineConfig.ModelSource> tokenizer) {

    /** How a request picks its replica. */
    public enum Policy {
        /** Consistent hashing of the prompt's prefix with bounded loads: a prefix stays where it is cached. */
        AFFINITY,
        /** Each request to the next replica in turn, whatever its prompt: the baseline affinity is measured against. */
        ROUND_ROBIN
    }

    public EnginesConfig {
        replicas = List.copyOf(replicas);
        Objects.requireNonNull(dnsName, "dnsName");
        Objects.requireNonNull(policy, "policy");
        Objects.requireNonNull(internalKey, "internalKey");
        Objects.requireNonNull(apiKeyEnv, "apiKeyEnv");
        Objects.requireNonNull(timeouts, "timeouts");
        Objects.requireNonNull(tokenizer, "tokenizer");
        if (replicas.isEmpty() == dnsName.isEmpty()) {
            throw new IllegalArgumentException("give either static replicas or a DNS name");
        }
    }

    /** The target a replica at {@code url} is, named {@code host:port}. */
    public UpstreamModelConfig.Target target(URI url) {
        return new UpstreamModelConfig.Target(UpstreamModelConfig.Target.defaultName(url), url, apiKeyEnv,
                Optional.empty(), 1, maxConcurrency, timeouts, 0);
    }

    /** The base URL of a replica discovered at {@code address} ({@code host:port} form without scheme). */
    public URI urlOf(URI discovered) {
        return URI.create(discovered.toString() + basePath);
    }
}
