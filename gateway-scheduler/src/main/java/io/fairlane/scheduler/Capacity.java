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

    /** Room for anything: useful in tests and simulations that meter capacity elsewhere. */
    static <W> Capacity<W> unlimited() {
        return (w, e) -> true;
    }
}
