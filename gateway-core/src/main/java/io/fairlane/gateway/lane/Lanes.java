package io.fairlane.gateway.lane;

import io.fairlane.gateway.http.ApiException;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

/**
 * The routing table, model id → lane. Immutable; a configuration reload builds a new one and swaps it,
 * so a request sees one consistent table from start to end.
 */
public final class Lanes {

    private final Map<String, Lane> byId;

    public Lanes(Collection<Lane> lanes) {
        Map<String, Lane> m = new LinkedHashMap<>();
        for (Lane l : lanes) {
            m.put(l.id(), l);
        }
        this.byId = java.util.Collections.unmodifiableMap(m);
    }

    /** The lane of {@code model}, or 404 {@code model_not_found}. */
    public Lane resolve(String model) {
        Lane l = byId.get(model);
        if (l == null) {
            throw ApiException.modelNotFound(model);
        }
        return l;
    }

    public Optional<Lane> find(String model) {
        return Optional.ofNullable(byId.get(model));
    }

    public Collection<Lane> all() {
        return byId.values();
    }
}
