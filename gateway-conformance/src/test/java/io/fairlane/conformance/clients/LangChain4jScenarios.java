package io.fairlane.conformance.clients;

import dev.langchain4j.agent.tool.ToolSpecification;
import dev.langchain4j.data.embedding.Embedding;
import dev.langchain4j.data.message.UserMessage;
import dev.langchain4j.data.segment.TextSegment;
import dev.langchain4j.model.chat.request.ChatRequest;
import dev.langchain4j.model.chat.request.ToolChoice;
import dev.langchain4j.model.chat.request.json.JsonObjectSchema;
import dev.langchain4j.model.chat.response.ChatResponse;
import dev.langchain4j.model.chat.response.StreamingChatResponseHandler;
import dev.langchain4j.model.openai.OpenAiChatModel;
import dev.langchain4j.model.openai.OpenAiEmbeddingModel;
import dev.langchain4j.model.openai.OpenAiStreamingChatModel;
import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The scenarios every client must pass, with LangChain4j's OpenAI module (its own HTTP client and parser,
 * a different reading of the wire than the official SDKs). Run by every lane of the conformance kit.
 */
public final class LangChain4jScenarios {

    private final OpenAiChatModel chat;
    private final OpenAiStreamingChatModel streaming;
    private final OpenAiEmbeddingModel embeddings;

    public LangChain4jScenarios(URI baseUrl, String apiKey, String model, String embeddingModel) {
        this.chat = OpenAiChatModel.builder().baseUrl(baseUrl.toString()).apiKey(apiKey).modelName(model)
                .maxRetries(0).timeout(Duration.ofSeconds(30)).build();
        this.streaming = OpenAiStreamingChatModel.builder().baseUrl(baseUrl.toString()).apiKey(apiKey)
                .modelName(model).timeout(Duration.ofSeconds(30)).build();
        this.embeddings = OpenAiEmbeddingModel.builder().baseUrl(baseUrl.toString()).apiKey(apiKey)
                .modelName(embeddingModel).maxRetries(0).timeout(Duration.ofSeconds(30)).build();
    }

    private static ChatRequest plain() {
        return ChatRequest.builder().messages(UserMessage.from("Write one short sentence.")).maxOutputTokens(16).build();
    }

    /** Greedy, as the harness's tool requests: quick and repeatable where the model is random (the local lane). */
    private static ChatRequest withTools() {
        ToolSpecification weather = ToolSpecification.builder().name("get_weather").description("Current weather.")
                .parameters(JsonObjectSchema.builder().addStringProperty("city").required("city").build()).build();
        return ChatRequest.builder()
                .messages(UserMessage.from("What is the weather in Paris and in Oslo? Call get_weather once for each city."))
                .toolSpecifications(weather).toolChoice(ToolChoice.REQUIRED).temperature(0.0).build();
    }

    public ChatResponse chat() {
        return chat.chat(plain());
    }

    public ChatResponse stream() throws Exception {
        return streamed(plain());
    }

    public ChatResponse tools() {
        return chat.chat(withTools());
    }

    public ChatResponse toolsStream() throws Exception {
        return streamed(withTools());
    }

    public List<Embedding> embeddings() {
        return embeddings.embedAll(List.of(TextSegment.from("The quick brown fox"), TextSegment.from("jumps"))).content();
    }

    private ChatResponse streamed(ChatRequest request) throws Exception {
        CompletableFuture<ChatResponse> done = new CompletableFuture<>();
        streaming.chat(request, new StreamingChatResponseHandler() {
            @Override
            public void onPartialResponse(String partialResponse) {
            }

            @Override
            public void onCompleteResponse(ChatResponse completeResponse) {
                done.complete(completeResponse);
            }

            @Override
            public void onError(Throwable error) {
                done.completeExceptionally(error);
            }
        });
        try {
            return done.get(30, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            // The handler's error, as a caller of the blocking model would see it.
            throw e.getCause() instanceof RuntimeException r ? r : e;
        }
    }
}
