package io.fairlane.engine;

import io.fairlane.scheduler.Admission;
import java.util.Objects;

/**
 * A request the engine cannot serve, with enough detail for the gateway's error mapper to build the
 * OpenAI error body.
 */
public final class EngineException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** What went wrong, which decides the HTTP status and error type. */
    public enum Kind {
        /** 400 invalid_request_error. */
        INVALID_REQUEST,
        /** 400 invalid_request_error, code context_length_exceeded. */
        CONTEXT_LENGTH_EXCEEDED,
        /** 429: the tenant scheduler refused the work; {@link #rejection()} says why and when to retry. */
        REJECTED,
        /** 503: the engine is shutting down or cannot take work now. */
        UNAVAILABLE,
        /** The request was aborted (client gone); never sent to a client. */
        ABORTED,
        /** 500: a fault inside the engine. */
        INTERNAL
    }

    private final Kind kind;
    private final String param;
    private final transient Admission.Rejected<?> rejection;

    public EngineException(Kind kind, String message, String param) {
        this(kind, message, param, null, null);
    }

    public EngineException(Kind kind, String message, String param, Admission.Rejected<?> rejection,
                           Throwable cause) {
        super(message, cause);
        this.kind = Objects.requireNonNull(kind, "kind");
        this.param = param;
        this.rejection = rejection;
        if (kind == Kind.REJECTED && rejection == null) {
            throw new IllegalArgumentException("REJECTED needs the scheduler's rejection");
        }
    }

    public static EngineException rejected(Admission.Rejected<?> rejection) {
        return new EngineException(Kind.REJECTED, rejection.message(), null, rejection, null);
    }

    public Kind kind() {
        return kind;
    }

    /** The request parameter at fault, or null. */
    public String param() {
        return param;
    }

    /** The scheduler's rejection when {@link #kind()} is {@link Kind#REJECTED}, else null. */
    public Admission.Rejected<?> rejection() {
        return rejection;
    }
}
