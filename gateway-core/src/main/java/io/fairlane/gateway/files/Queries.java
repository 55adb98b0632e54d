package io.fairlane.gateway.files;

import io.fairlane.gateway.http.ApiException;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** The query parameters of list endpoints ({@code limit}, {@code order}, {@code after}), checked as OpenAI does. */
public final class Queries {

    private Queries() {
    }

    /** The parameter's first value, when present and not empty. */
    public static Optional<String> string(Map<String, List<String>> query, String name) {
        List<String> values = query.get(name);
        return values == null || values.isEmpty() || values.getFirst().isEmpty() ? Optional.empty()
                : Optional.of(values.getFirst());
    }

    /** {@code limit}: a whole number from 1 to {@code max}; {@code fallback} when absent. */
    public static int limit(Map<String, List<String>> query, int fallback, int max) {
        Optional<String> v = string(query, "limit");
        if (v.isEmpty()) {
            return fallback;
        }
        int limit;
        try {
            limit = Integer.parseInt(v.get());
        } catch (NumberFormatException e) {
            throw ApiException.invalidRequest("Invalid type for 'limit': expected an integer, but got a string "
                    + "instead.", "limit", "invalid_type");
        }
        if (limit < 1 || limit > max) {
            throw ApiException.invalidRequest("Invalid 'limit': integer must be between 1 and " + max + ", got "
                    + limit + ".", "limit", "invalid_value");
        }
        return limit;
    }

    /** {@code order}: true for {@code asc}; {@code desc} (the default) is false. */
    public static boolean order(Map<String, List<String>> query) {
        Optional<String> v = string(query, "order");
        if (v.isEmpty() || v.get().equals("desc")) {
            return false;
        }
        if (v.get().equals("asc")) {
            return true;
        }
        throw ApiException.invalidRequest("Invalid value for 'order': expected 'asc' or 'desc', got '" + v.get()
                + "'.", "order", "invalid_value");
    }
}
