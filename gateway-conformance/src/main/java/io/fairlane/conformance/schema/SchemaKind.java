package io.fairlane.conformance.schema;

/** The response shapes the harness validates, each named by its component in the OpenAPI document. */
public enum SchemaKind {
    CHAT_COMPLETION("CreateChatCompletionResponse"),
    CHAT_COMPLETION_CHUNK("CreateChatCompletionStreamResponse"),
    EMBEDDINGS("CreateEmbeddingResponse"),
    MODEL_LIST("ListModelsResponse"),
    MODEL("Model"),
    RESPONSE("Response"),
    RESPONSE_STREAM_EVENT("ResponseStreamEvent"),
    RESPONSE_ITEM_LIST("ResponseItemList"),
    ERROR("ErrorResponse"),
    FILE("OpenAIFile"),
    FILE_LIST("ListFilesResponse"),
    FILE_DELETED("DeleteFileResponse"),
    BATCH("Batch"),
    BATCH_LIST("ListBatchesResponse");

    private final String component;

    SchemaKind(String component) {
        this.component = component;
    }

    /** The name under {@code #/components/schemas/}. */
    public String component() {
        return component;
    }
}
