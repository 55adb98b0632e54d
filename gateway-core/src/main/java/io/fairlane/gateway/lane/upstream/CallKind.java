package io.fairlane.gateway.lane.upstream;

/** The endpoint an upstream request goes to, below the target's base path. */
enum CallKind {
    CHAT("/chat/completions", true), COMPLETIONS("/completions", true), EMBEDDINGS("/embeddings", false),
    MODERATIONS("/moderations", false), RESPONSES("/responses", false);

    final String path;
    /** Whether answers have choices (and a service tier) to repair; embeddings and moderations have neither. */
    final boolean choices;

    CallKind(String path, boolean choices) {
        this.path = path;
        this.choices = choices;
    }
}
