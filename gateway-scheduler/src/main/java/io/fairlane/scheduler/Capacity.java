package io.fairlane.scheduler;

/**
 * The room a lane has for more work right now, asked by {@link TenantScheduler#next} before it hands out a
 * ticket. The engine implements it over its per-step token budget, free KV blocks and running sequence
 * slots; an upstream lane over its concurrent-request slots and an optional tokens-per-second budget.
 *
 * <p>{@code fits} is a question, not a reservation: the caller that receives the ticket takes the room.
 *
 * @param <W> the work type
 */
@FunctionalInterface
public interface Capacity<W> {

    /** Whether {@code work} with {@code estimate} could start now. */
    boolean fits(W work, CostEstimate estimate);

    /**
     * The most tickets this lane runs at once (an upstream lane's concurrent slots, an engine's sequence
     * slots), or 0 when it has no such limit or does not say. A tenant's
     * {@link TenantSpec#maxShare() maxShare} is a fraction of this number: with 0 no cap can apply.
     */
    default int slots() {
        return 0;
    }

    /** Room for anything: useful in tests and simulations that meter capacity elsewhere. */
    static <W> Capacity<W> unlimited() {
        return (w, e) -> true;
    }
}
