package io.fairlane.engine.model;

/**
 * A model directory, weight file or config that cannot be loaded. The message names the file and, where one
 * is at fault, the tensor or config key, and says what is wrong.
 */
public final class ModelFormatException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
