package io.fairlane.engine.runtime;

/** Why a running sequence was preempted; a tag of the engine's preemption meter. */
enum PreemptionReason {

    /** A running sequence needed a KV block for its next tokens and the pool had none free. */
    KV_CACHE,
    /** A request of a tenant under its fair share of the running batch could not start otherwise. */
    FAIR_SHARE,
    /** A priority or default request could not start while flex sequences held the slots or blocks it needed. */
    FLEX
}
