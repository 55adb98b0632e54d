package io.fairlane.gateway.responses;

import java.util.Objects;

/**
 * A response kept for {@code GET /v1/responses/{id}}, its input items and {@code previous_response_id}.
 *
 * @param tenant    the tenant that created it (the only one that can find it)
 * @param id        its id, {@code resp_...}
 * @param model     the model that answered
 * @param createdAt when it was stored, epoch milliseconds (the oldest go first when a bound is reached)
 * @param expiresAt when it can no longer be found, epoch milliseconds
 * @param response  the response object as the client received it, JSON
 * @param items     every input item the model saw (those of earlier responses it continues included), a JSON array
 */
public record StoredResponse(String tenant, String id, String model, long createdAt, long expiresAt, byte[] response,
                             byte[] items) {

    public StoredResponse {
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(model, "model");
        Objects.requireNonNull(response, "response");
        Objects.requireNonNull(items, "items");
    }

    /** What it counts against its tenant's byte bound. */
    public long size() {
        return (long) response.length + items.length;
    }

    @Override
    public String toString() {
        return "StoredResponse[" + tenant + " " + id + ", " + size() + " bytes]";
    }
}
