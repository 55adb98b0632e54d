package io.fairlane.gateway.http;

import java.util.Objects;

/**
 * Thrown anywhere in request handling to answer with a specific OpenAI-style error. Carries no stack
 * trace: these are expected outcomes (bad input, unknown model), not faults.
 */
public final class ApiException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient ApiError error;

    public ApiException(ApiError error) {
        super(error.message(), null, false, false);
        this.error = Objects.requireNonNull(error, "error");
    }

    public ApiError error() {
        return error;
    }

    /** 400 {@code invalid_request_error}. */
    public static ApiException invalidRequest(String message, String param, String code) {
        return new ApiException(new ApiError(400, message, "invalid_request_error", param, code));
    }

    /** 400 for a parameter this server does not support. */
    public static ApiException unsupported(String param, String why) {
        return invalidRequest("Unsupported parameter: '" + param + "' " + why, param, "unsupported_parameter");
    }

    /** 404 {@code model_not_found}, in OpenAI's words. */
    public static ApiException modelNotFound(String model) {
        return new ApiException(new ApiError(404, "The model `" + model
                + "` does not exist or you do not have access to it.", "invalid_request_error", null,
                "model_not_found"));
    }

    /** 503: the server cannot take the request now; the client should retry later. */
    public static ApiException unavailable(String message, int retryAfterSeconds) {
        return new ApiException(new ApiError(503, message, "server_error", null, "service_unavailable")
                .withHeader("retry-after", Integer.toString(retryAfterSeconds)));
    }
}
