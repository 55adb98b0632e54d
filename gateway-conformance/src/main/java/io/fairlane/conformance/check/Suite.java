package io.fairlane.conformance.check;

import java.util.Arrays;
import java.util.Locale;

/** Groups of checks that {@code --suite} selects by name. */
public enum Suite {
    STREAMING("SSE framing and chunk invariants"),
    USAGE("usage accounting"),
    TOOLS("tool calls, streamed and not"),
    CHAT("chat completion parameters"),
    EMBEDDINGS("embeddings, float and base64"),
    MODELS("model list and retrieval"),
    FILES("files and batches: upload, content, delete, a batch run to completion"),
    ERRORS("error statuses, bodies and retry headers"),
    IDEMPOTENCY("Idempotency-Key replay"),
    RESPONSES("the Responses API: objects, events, usage, calls, errors, stored responses"),
    STRUCTURED("structured outputs: JSON that validates against the schema asked for"),
    SCHEMA("OpenAPI schema of every response and chunk");

    private final String description;

    Suite(String description) {
        this.description = description;
    }

    public String description() {
        return description;
    }

    public String cliName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static Suite fromCliName(String name) {
        return Arrays.stream(values()).filter(s -> s.cliName().equals(name.strip().toLowerCase(Locale.ROOT)))
                .findFirst().orElseThrow(() -> new IllegalArgumentException("unknown suite '" + name + "'; known: "
                        + String.join(", ", Arrays.stream(values()).map(Suite::cliName).toList())));
    }
}
