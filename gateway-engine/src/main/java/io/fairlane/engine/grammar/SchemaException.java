package io.fairlane.engine.grammar;

import java.util.Objects;

/**
 * A JSON Schema that Fairlane cannot turn into a grammar: a keyword it does not support, a value that breaks a
 * keyword's rules or one of OpenAI's structured-output limits, a schema with no finite instance, or one whose
 * grammar would outgrow the compile budget. The message says what is wrong and names {@link #keyword()} and the
 * JSON pointer ({@link #pointer()}, RFC 6901) of the schema object holding it, so the gateway can answer with a
 * 400 that points at the offending part of {@code response_format.json_schema.schema} or a tool's
 * {@code parameters}.
 */
public final class SchemaException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String keyword;
    private final String pointer;

    /**
     * @param reason  what is wrong, as a sentence without the location
     * @param keyword the keyword at fault ({@code ""} when the schema as a whole is)
     * @param pointer the JSON pointer of the schema object holding it ({@code ""} for the root)
     */
    public SchemaException(String reason, String keyword, String pointer) {
        super(Objects.requireNonNull(reason, "reason") + " (keyword '" + Objects.requireNonNull(keyword, "keyword")
                + "' at '" + Objects.requireNonNull(pointer, "pointer") + "')");
        this.keyword = keyword;
        this.pointer = pointer;
    }

    /** The keyword at fault, e.g. {@code allOf}; empty when the schema as a whole is at fault. */
    public String keyword() {
        return keyword;
    }

    /** The JSON pointer of the schema object holding the keyword, e.g. {@code /properties/address}; "" is the root. */
    public String pointer() {
        return pointer;
    }
}
