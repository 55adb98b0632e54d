package io.fairlane.gateway.files;

import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.RequestBody;
import io.fairlane.gateway.store.DurableState;

/**
 * What clients are told when work on durable state fails: storage that is off or not open is a 503 saying why; a
 * malformed multipart body a 400; a body sent too slowly a 408. Everything else passes on to the error mapper
 * (a store failure becomes a logged 500).
 */
public final class StorageErrors {

    private StorageErrors() {
    }

    /** The answer for {@code t}, thrown by work on durable state or on an upload. */
    public static Throwable translate(Throwable t) {
        return switch (t) {
            case DurableState.Unavailable u -> unavailable(u);
            case MultipartReader.Malformed m -> ApiException.invalidRequest("The multipart/form-data body could not "
                    + "be read: " + m.getMessage() + ".", null, "invalid_multipart");
            case RequestBody.TooSlow slow -> new ApiException(new ApiError(408, slow.getMessage(),
                    "invalid_request_error", null, "request_timeout"));
            default -> t;
        };
    }

    /** 503 for durable state that is off, not yet open or broken. */
    static ApiException unavailable(Throwable cause) {
        if (cause instanceof ApiException e) {
            return e;
        }
        String why = cause instanceof DurableState.Unavailable ? cause.getMessage()
                : "durable state is not available: " + cause.getMessage();
        return ApiException.unavailable("This endpoint keeps its data in durable storage, which is unavailable: "
                + why + ".", 5);
    }
}
