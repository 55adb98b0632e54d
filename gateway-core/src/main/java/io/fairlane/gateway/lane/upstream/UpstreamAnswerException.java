package io.fairlane.gateway.lane.upstream;

import io.fairlane.gateway.http.ApiError;
import java.util.Objects;

/**
 * An upstream answer the gateway cannot pass on: unreadable, cut short, or larger than the request allows. Carries
 * what the client is told ({@link UpstreamErrors} makes them); the call decides whether another target can still
 * take the request or the client's stream ends with it.
 */
final class UpstreamAnswerException extends RuntimeException {

    private final transient ApiError error;

    UpstreamAnswerException(ApiError error, Throwable cause) {
        super(error.message(), cause, false, false);
        this.error = Objects.requireNonNull(error, "error");
    }

    UpstreamAnswerException(ApiError error) {
        this(error, null);
    }

    ApiError error() {
        return error;
    }
}
