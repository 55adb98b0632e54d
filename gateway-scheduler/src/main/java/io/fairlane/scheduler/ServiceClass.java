package io.fairlane.scheduler;

/**
 * The two classes a scheduler keeps apart. Priority and default work share the {@link #MAIN} class, where
 * fair sharing applies; flex work lives in {@link #FLEX}, which is served only when the main class has
 * nothing dispatchable. Each class keeps its own balances, so using idle capacity through flex never
 * costs a tenant its main-class share.
 */
enum ServiceClass {
    MAIN,
    FLEX;

    static ServiceClass of(ServiceTier tier) {
        return tier == ServiceTier.FLEX ? FLEX : MAIN;
    }
}
