package io.fairlane.engine.template;

/**
 * A template that cannot be compiled or rendered: a syntax error, an error at render time (an undefined
 * value used as an object, a type error), or a message the template raised itself with
 * {@code raise_exception(...)} (then {@link #raisedByTemplate()} is true and the message is the template's).
 * The gateway answers these with a 400 error: they come from what the client sent (roles out of order,
 * unsupported content) far more often than from the template.
 */
public final class TemplateException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final boolean raisedByTemplate;

    TemplateException(String message) {
        this(message, false);
    }

    TemplateException(String message, boolean raisedByTemplate) {
        super(message);
        this.raisedByTemplate = raisedByTemplate;
    }

    /** Whether the template called {@code raise_exception} (the message is then exactly its argument). */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
