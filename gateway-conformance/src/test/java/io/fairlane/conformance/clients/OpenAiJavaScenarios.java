package io.fairlane.conformance.clients;

import com.openai.client.OpenAIClient;
import com.openai.client.okhttp.OpenAIOkHttpClient;
import com.openai.core.JsonValue;
import com.openai.core.http.HttpResponse;
import com.openai.core.http.StreamResponse;
import com.openai.helpers.ChatCompletionAccumulator;
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
