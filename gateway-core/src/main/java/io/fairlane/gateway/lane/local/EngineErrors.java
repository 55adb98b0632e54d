package io.fairlane.gateway.lane.local;

import io.fairlane.engine.EngineException;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.http.ErrorMapper;
import io.fairlane.gateway.lane.Rejections;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's failures as OpenAI errors. The local lane maps every {@link EngineException} here, where it
 * calls the engine or receives its events, so that the HTTP layer's one error mapper never needs to know an
 * engine type: it sees an {@link ApiException}, or a fault it answers with a 500.
 */
final class EngineErrors {

    private static final Logger LOG = LoggerFactory.getLogger(EngineErrors.class);

    private EngineErrors() {
    }

    /** {@code t} as the HTTP layer should see it: an engine exception (however wrapped) mapped, else {@code t}. */
    static Throwable translate(Throwable t) {
        return ErrorMapper.unwrap(t) instanceof EngineException e ? toApi(e) : t;
    }

    static ApiException toApi(EngineException e) {
        return new ApiException(toApiError(e));
    }

    static ApiError toApiError(EngineException e) {
        return switch (e.kind()) {
            case INVALID_REQUEST -> new ApiError(400, e.getMessage(), "invalid_request_error", e.param(), null);
            case CONTEXT_LENGTH_EXCEEDED -> contextLength(e.getMessage(), e.param() == null ? "messages" : e.param());
            case REJECTED -> Rejections.toApiError(e.rejection(), null);
            case UNAVAILABLE -> new ApiError(503, e.getMessage(), "server_error", null, "service_unavailable")
                    .withHeader("retry-after", "1");
            case ABORTED -> new ApiError(499, "The request was cancelled.", "invalid_request_error", null,
                    "request_cancelled");
            case INTERNAL -> {
                LOG.error("engine fault", e);
                yield new ApiError(500, "The server had an error while processing your request. Sorry about that!",
                        "server_error", null, null);
            }
        };
    }

    /** 400 {@code context_length_exceeded} naming {@code param}, the part of the request at fault. */
    static ApiError contextLength(String message, String param) {
        return new ApiError(400, message, "invalid_request_error", param, "context_length_exceeded");
    }
}
