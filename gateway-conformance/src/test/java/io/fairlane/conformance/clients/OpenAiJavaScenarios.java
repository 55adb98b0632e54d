package io.fairlane.conformance.clients;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
import com.openai.helpers.ResponseAccumulator;
import com.openai.models.FunctionDefinition;
import com.openai.models.FunctionParameters;
import com.openai.models.batches.Batch;
import com.openai.models.batches.BatchCreateParams;
import com.openai.models.chat.completions.ChatCompletion;
import com.openai.models.chat.completions.ChatCompletionChunk;
import com.openai.models.chat.completions.ChatCompletionCreateParams;
import com.openai.models.chat.completions.ChatCompletionMessageToolCall;
import com.openai.models.chat.completions.ChatCompletionStreamOptions;
import com.openai.models.chat.completions.ChatCompletionToolChoiceOption;
import com.openai.models.embeddings.CreateEmbeddingResponse;
import com.openai.models.embeddings.EmbeddingCreateParams;
import com.openai.models.files.FileCreateParams;
import com.openai.models.files.FileObject;
import com.openai.models.files.FilePurpose;
import com.openai.models.responses.FunctionTool;
import com.openai.models.responses.Response;
import com.openai.models.responses.ResponseCreateParams;
import com.openai.models.responses.ResponseFunctionToolCall;
import com.openai.models.responses.ResponseOutputItem;
import com.openai.models.responses.ResponseStreamEvent;
import com.openai.models.responses.ToolChoiceOptions;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * The scenarios every client must pass, with OpenAI's Java SDK in strict mode ({@code responseValidation(true)}:
 * any field of the wrong type or a missing required field throws). Run by every lane of the conformance kit.
 */
public final class OpenAiJavaScenarios implements AutoCloseable {

    private final OpenAIClient client;
    private final String model;
    private final String embeddingModel;

    public OpenAiJavaScenarios(URI baseUrl, String apiKey, String model, String embeddingModel) {
        this.client = OpenAIOkHttpClient.builder().baseUrl(baseUrl.toString()).apiKey(apiKey)
                .responseValidation(true).maxRetries(0).build();
        this.model = model;
        this.embeddingModel = embeddingModel;
    }

    private ChatCompletionCreateParams.Builder chatParams(String prompt) {
        return ChatCompletionCreateParams.builder().model(model).addUserMessage(prompt).maxCompletionTokens(16);
    }

    /** Greedy, as the harness's tool requests: quick and repeatable where the model is random (the local lane). */
    private ChatCompletionCreateParams toolParams() {
        FunctionParameters parameters = FunctionParameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string"))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                .build();
        return ChatCompletionCreateParams.builder().model(model)
                .addUserMessage("What is the weather in Paris and in Oslo? Call get_weather once for each city.")
                .addFunctionTool(FunctionDefinition.builder().name("get_weather").parameters(parameters).build())
                .toolChoice(ChatCompletionToolChoiceOption.Auto.REQUIRED)
                .temperature(0.0)
                .build();
    }

    /** A plain completion; returns the text. */
    public String chat() {
        ChatCompletion completion = client.chat().completions().create(chatParams("Write one short sentence.").build());
        return completion.choices().getFirst().message().content().orElseThrow();
    }

    /** A streamed completion with the usage chunk, reassembled by the SDK's accumulator. */
    public ChatCompletion stream() {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        ChatCompletionCreateParams params = chatParams("Write one short sentence.")
                .streamOptions(ChatCompletionStreamOptions.builder().includeUsage(true).build()).build();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        return accumulator.chatCompletion();
    }

    /** Tool calls, not streamed. */
    public ChatCompletion tools() {
        return client.chat().completions().create(toolParams());
    }

    /** Tool calls, streamed and reassembled by the SDK's accumulator. */
    public List<ChatCompletionMessageToolCall> toolsStream() {
        ChatCompletionAccumulator accumulator = ChatCompletionAccumulator.create();
        try (StreamResponse<ChatCompletionChunk> stream = client.chat().completions().createStreaming(toolParams())) {
            stream.stream().forEach(accumulator::accumulate);
        }
        return accumulator.chatCompletion().choices().getFirst().message().toolCalls().orElseThrow();
    }

    // ---------------------------------------------------------------- the Responses API

    private ResponseCreateParams.Builder responseParams(String input) {
        return ResponseCreateParams.builder().model(model).input(input).maxOutputTokens(16).temperature(0.0);
    }

    /** A strict function tool the model must call (forced), greedy. */
    private ResponseCreateParams responseToolParams() {
        FunctionTool.Parameters parameters = FunctionTool.Parameters.builder()
                .putAdditionalProperty("type", JsonValue.from("object"))
                .putAdditionalProperty("properties", JsonValue.from(Map.of("city", Map.of("type", "string",
                        "maxLength", 24))))
                .putAdditionalProperty("required", JsonValue.from(List.of("city")))
                .putAdditionalProperty("additionalProperties", JsonValue.from(false))
                .build();
        return responseParams("What is the weather in Paris? Call get_weather.").maxOutputTokens(96)
                .addTool(FunctionTool.builder().name("get_weather").parameters(parameters).strict(true).build())
                .toolChoice(ToolChoiceOptions.REQUIRED)
                .build();
    }

    /** The text of a response's message items. */
    public static String text(Response response) {
        StringBuilder text = new StringBuilder();
        for (ResponseOutputItem item : response.output()) {
            if (item.isMessage()) {
                item.asMessage().content().forEach(c -> c.outputText().ifPresent(t -> text.append(t.text())));
            }
        }
        return text.toString();
    }

    /** The function calls of a response. */
    public static List<ResponseFunctionToolCall> calls(Response response) {
        return response.output().stream().filter(ResponseOutputItem::isFunctionCall)
                .map(ResponseOutputItem::asFunctionCall).toList();
    }

    /** {@code client.responses().create}: a response, not streamed. */
    public Response responses() {
        return client.responses().create(responseParams("Write one short sentence.").build());
    }

    /** {@code client.responses().createStreaming}, reassembled by the SDK's accumulator (which checks the order). */
    public Response responsesStream() {
        return accumulate(responseParams("Write one short sentence.").build());
    }

    private Response accumulate(ResponseCreateParams params) {
        ResponseAccumulator accumulator = ResponseAccumulator.create();
        try (StreamResponse<ResponseStreamEvent> stream = client.responses().createStreaming(params)) {
            stream.stream().forEach(accumulator::accumulate);
        }
        return accumulator.response();
    }

    /** A forced strict tool call, not streamed. */
    public Response responsesTools() {
        return client.responses().create(responseToolParams());
    }

    /** A forced strict tool call, streamed and reassembled. */
    public Response responsesToolsStream() {
        return accumulate(responseToolParams());
    }

    /**
     * A conversation continued with {@code previous_response_id}, then the stored response retrieved and deleted
     * through the SDK; returns the continuation.
     */
    public Response responsesContinued() {
        Response first = responses();
        Response next = client.responses().create(responseParams("And one more.").previousResponseId(first.id())
                .build());
        Response stored = client.responses().retrieve(next.id());
        if (!stored.id().equals(next.id()) || client.responses().inputItems().list(next.id()).data().size() < 3) {
            throw new IllegalStateException("the stored response or its input items are not what was answered");
        }
        client.responses().delete(next.id());
        return next;
    }

    /** Embeddings for two inputs, in the SDK's default encoding. */
    public CreateEmbeddingResponse embeddings() {
        return client.embeddings().create(EmbeddingCreateParams.builder().model(embeddingModel)
                .inputOfArrayOfStrings(List.of("The quick brown fox", "jumps")).build());
    }

    /**
     * A batch as a client runs one: upload a JSONL file of two chat requests ({@code files.create}), create the batch
     * ({@code batches.create}), poll it until it ends, and read its output file ({@code files.content}); returns the
     * output's lines.
     */
    public List<String> batch() throws Exception {
        String jsonl = line("java-1") + "\n" + line("java-2") + "\n";
        FileObject file = client.files().create(FileCreateParams.builder()
                .file(jsonl.getBytes(StandardCharsets.UTF_8)).purpose(FilePurpose.BATCH).build());
        Batch batch = client.batches().create(BatchCreateParams.builder().inputFileId(file.id())
                .endpoint(BatchCreateParams.Endpoint.V1_CHAT_COMPLETIONS)
                .completionWindow(BatchCreateParams.CompletionWindow._24H).build());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(120);
        Set<Batch.Status> running = Set.of(Batch.Status.VALIDATING, Batch.Status.IN_PROGRESS, Batch.Status.FINALIZING);
        while (running.contains(batch.status()) && System.nanoTime() < deadline) {
            Thread.sleep(200);
            batch = client.batches().retrieve(batch.id());
        }
        if (!batch.status().equals(Batch.Status.COMPLETED)) {
            throw new IllegalStateException("the batch ended " + batch.status() + ": " + batch);
        }
        try (HttpResponse content = client.files().content(batch.outputFileId().orElseThrow())) {
            return new String(content.body().readAllBytes(), StandardCharsets.UTF_8).lines().toList();
        }
    }

    private String line(String customId) {
        return "{\"custom_id\":\"" + customId + "\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\","
                + "\"body\":{\"model\":\"" + model + "\",\"max_tokens\":8,\"messages\":[{\"role\":\"user\","
                + "\"content\":\"Say hello.\"}]}}";
    }

    @Override
    public void close() {
        client.close();
    }
}
