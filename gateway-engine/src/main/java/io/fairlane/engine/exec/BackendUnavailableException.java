package io.fairlane.engine.exec;

/**
 * A backend that cannot be opened on this machine (no CUDA driver or device, not enough memory for the model).
 * The message says why, starting with the backend's name ({@code "CUDA backend not available: ..."}); the engine
 * turns it into an {@link io.fairlane.engine.EngineException} of kind {@code UNAVAILABLE} and never falls back
 * silently to another backend.
 */
public final class BackendUnavailableException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
