package io.fairlane.scheduler;

/**
 * Where a {@link LaneDispatcher} puts the work it starts, when the lane is more than one pool of slots: an upstream
 * lane routes each request to one of several targets, each with slots of its own, and may hold work back while
 * the target it should go to is full. Asked under the dispatcher's lock, once the lane's own capacity has room for
 * the scheduler's choice: {@link #tryPlace} either reserves a place for the work (and the dispatcher starts it) or
 * leaves it queued. The caller that runs the work gives the place back.
 *
 * @param <W> the work type
 */
public interface Placement<W> {

    /** Reserves a place for {@code work}; false leaves it queued. */
    boolean tryPlace(W work, CostEstimate estimate);

    /**
     * Whether time alone can make a place (a cool-down ending, a wait threshold passing): the dispatcher then looks
     * again every recheck interval while work waits and the lane has free slots.
     */
    default boolean changesWithTime() {
        return false;
    }
}
