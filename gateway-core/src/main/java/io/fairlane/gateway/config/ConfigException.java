package io.fairlane.gateway.config;

import java.util.List;

/** A configuration that cannot be used, with every error found in it (not only the first). */
public final class ConfigException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient List<ConfigError> errors;

    public ConfigException(String source, List<ConfigError> errors) {
        super(describe(source, errors));
        this.errors = List.copyOf(errors);
        if (errors.isEmpty()) {
            throw new IllegalArgumentException("a ConfigException needs at least one error");
        }
    }

    public List<ConfigError> errors() {
        return errors;
    }

    private static String describe(String source, List<ConfigError> errors) {
        StringBuilder sb = new StringBuilder("invalid configuration ").append(source).append(" (")
                .append(errors.size()).append(errors.size() == 1 ? " error)" : " errors)");
        for (ConfigError e : errors) {
            sb.append("\n  ").append(e);
        }
        return sb.toString();
    }
}
