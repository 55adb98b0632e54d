package io.fairlane.gateway.config;

import io.fairlane.scheduler.Policy;

/**
 * A model id clients may use and what serves it: the local engine or upstream servers.
 */
public sealed interface ModelConfig permits LocalModelConfig, UpstreamModelConfig {

    /** The name clients put in {@code model}. */
    String id();

    /** How the model's lane shares its capacity among tenants. */
    Policy policy();

    /** {@code owned_by} in {@code /v1/models}. */
    String ownedBy();
}
