package io.fairlane.conformance.stub;

import java.util.Set;

/**
 * One deliberate violation of the wire contract that {@link StubOpenAiServer} can commit, and the checks
 * that must fail because of it. Most break exactly one check; where a violation necessarily breaks a second
 * promise too (an index shared by two calls also glues their arguments together), both are listed.
 *
 * <p>Stream-shape breakages apply to "plain" requests only (no tools, n, stop or logprobs), so that the
 * checks of those features keep seeing well-formed streams.
 */
public enum Breakage {
    SSE_WRONG_CONTENT_TYPE("sse.content-type"),
    SSE_NO_BLANK_LINES("sse.framing"),
    SSE_NO_DONE("sse.done"),
    CHUNK_CREATED_DRIFTS("chunk.identity"),
    CHUNK_NO_ROLE("chunk.role-first"),
    CHUNK_NO_FINISH("chunk.finish-reason"),
    USAGE_CHUNK_MISSING("usage.stream-opt-in"),
    USAGE_CHUNK_UNASKED("usage.stream-default"),
    USAGE_NO_CACHED_TOKENS("usage.integers"),
    TOOL_FIRST_DELTA_WITHOUT_ID("tools.stream-first-delta"),
    TOOL_INDEXES_ALL_ZERO("tools.parallel-indexes", "tools.arguments-json"),
    TOOL_ARGUMENTS_TRUNCATED("tools.arguments-json"),
    TOOL_FINISH_STOP("tools.finish-reason"),
    TOOL_MESSAGE_BAD_ARGUMENTS("tools.message"),
    COMPLETION_EMPTY_CHOICES("chat.completion"),
    N_SAME_INDEX("chat.n-choices"),
    STOP_IGNORED("chat.stop"),
    LOGPROB_POSITIVE("chat.logprobs"),
    SEED_IGNORED("chat.seed"),
    EMBEDDING_INDEX_ZERO("embeddings.float"),
    BASE64_BIG_ENDIAN("embeddings.base64"),
    MODELS_LIST_OMITS_CHAT("models.list"),
    MODEL_RETRIEVE_404("models.retrieve"),
    UNAUTHORIZED_403("errors.401"),
    UNKNOWN_MODEL_400("errors.404-model"),
    PARAM_NULL("errors.400-param"),
    OVERSIZED_ACCEPTED("errors.413"),
    RATE_LIMIT_WITHOUT_RETRY_AFTER("errors.429"),
    MID_STREAM_TRUNCATED("errors.mid-stream"),
    IDEMPOTENCY_IGNORED("idempotency.replay"),
    IDEMPOTENCY_CONFLICT_409("idempotency.conflict"),
    QUOTA_WITHOUT_SHOULD_RETRY_FALSE("errors.should-retry"),
    ERROR_DROPS_NULL_KEYS("errors.envelope", "schema.error"),
    SCHEMA_CREATED_STRING("schema.chat-completion"),
    SCHEMA_CHUNK_OBJECT_WRONG("schema.chat-completion-chunk"),
    EMBEDDINGS_NO_USAGE("schema.embeddings"),
    MODEL_NO_OWNED_BY("schema.models"),
    ERROR_CODE_INTEGER("schema.error", "errors.envelope"),
    RESPONSES_ITEM_NO_ROLE("responses.object", "schema.response"),
    RESPONSES_DELTA_BEFORE_ITEM("responses.stream-order"),
    RESPONSES_SEQUENCE_REPEATS("responses.sequence-numbers"),
    RESPONSES_DONE_TEXT_DIFFERS("responses.stream-text"),
    RESPONSES_USAGE_NO_DETAILS("responses.usage", "schema.response"),
    RESPONSES_CALL_NO_CALL_ID("responses.function-call", "schema.response"),
    RESPONSES_CALL_DELTAS_LOSE_A_PIECE("responses.function-call-stream"),
    RESPONSES_BAD_ITEM_ACCEPTED("responses.errors"),
    RESPONSES_MID_STREAM_COMPLETED("responses.mid-stream-error"),
    RESPONSES_STORE_FORGETS("responses.store-roundtrip"),
    STRUCTURED_CHAT_IGNORES_SCHEMA("structured.chat-json-schema"),
    STRUCTURED_RESPONSES_IGNORES_SCHEMA("structured.responses-json-schema"),
    STRUCTURED_TOOL_ARGUMENTS_INVALID("structured.strict-tool"),
    SCHEMA_RESPONSE_PART_NO_ANNOTATIONS("schema.response-stream-event"),
    SCHEMA_RESPONSE_ITEMS_NO_FIRST_ID("schema.response-items"),
    FILE_BYTES_WRONG("files.upload"),
    FILE_LIST_OMITS("files.retrieve"),
    FILE_CONTENT_TRUNCATED("files.content"),
    FILE_DELETE_KEEPS("files.delete"),
    BATCH_WRONG_WINDOW("batches.create"),
    BATCH_LINE_TWICE("batches.complete"),
    BATCH_CANCEL_FINISHED_OK("batches.cancel-finished"),
    BATCH_ERRORS_WITHOUT_LINE("batches.invalid-input"),
    SCHEMA_FILE_CREATED_STRING("schema.files-batches");

    private final Set<String> expectedFailures;

    Breakage(String... expectedFailures) {
        this.expectedFailures = Set.of(expectedFailures);
    }

    /** The check ids that must fail against a stub committing this violation, and only these. */
    public Set<String> expectedFailures() {
        return expectedFailures;
    }
}
