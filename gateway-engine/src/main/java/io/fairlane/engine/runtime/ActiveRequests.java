package io.fairlane.engine.runtime;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The requests an engine knows of, queued or running, by request id: submission registers them (refusing an id
 * that is already live), an abort looks them up, and the loop removes them when they end.
 *
 * <p>Thread-safe: submitting threads and the loop thread share it.
 */
final class ActiveRequests {

    private final ConcurrentHashMap<String, Work> byId = new ConcurrentHashMap<>();

    /** @throws EngineException {@code INVALID_REQUEST} when a request with the same id is live */
    void register(Work work) {
        Objects.requireNonNull(work, "work");
        if (byId.putIfAbsent(work.requestId(), work) != null) {
            throw new EngineException(Kind.INVALID_REQUEST, "a request with id " + work.requestId()
                    + " is already running", null);
        }
    }

    /** The live request with this id, or null. */
    Work get(String requestId) {
        return byId.get(requestId);
    }

    /** Forgets {@code work} (and not a later request that reused its id). */
    void remove(Work work) {
        byId.remove(work.requestId(), work);
    }

    /** A copy of every live request. */
    List<Work> all() {
        return List.copyOf(byId.values());
    }

    @Override
    public String toString() {
        return "ActiveRequests[" + byId.size() + "]";
    }
}
