/**
 * Two tiers of one binary: engine replicas ({@code fairlane serve} with local models) and routers that spread one
 * model's requests over them. The pieces here are the router's: which replicas exist ({@link Discovery}, from a
 * static list or a DNS name such as a Kubernetes headless Service, re-resolved periodically), what load each carries
 * ({@link EngineLoad}, read from the engine's {@code /internal/load}), which replica a prompt should go to
 * ({@link AffinityRing}: consistent hashing with bounded loads over a key made by {@link PrefixKeys} with the KV
 * cache's own block hash), how a tenant is kept to its share across replicas ({@link ReplicaDeficits}), and how an
 * engine can trust the token ids a router already computed ({@link TrustedTokenIds}).
 */
package io.fairlane.gateway.cluster;
