package io.fairlane.gateway.lane.local;

import io.fairlane.engine.EngineException;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.PromptTokenizer;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.CompletionRequest;
import java.util.function.Supplier;

/**
 * The prompt a router tokenises for Fairlane engine replicas, built as a local lane builds it, so that the ids the
 * router computes (with the same tokenizer and chat template, {@link PromptTokenizer}) are the ids the replica would
 * compute itself; and the answer a local lane gives to a request it cannot render, so that such a request gets its
 * 400 at the router without reaching a replica.
 */
public final class RouterPrompts {

    private RouterPrompts() {
    }

    /**
     * A chat's prompt: its messages and tools through the template, with the reasoning effort the request names
     * (a replica whose model configures a default effort of its own tokenises such chats again). The refusals are
     * checked now (cheap, on the event loop); the prompt, whose making grows with the conversation, is built by the
     * supplier, where the router prepares the request.
     *
     * @throws io.fairlane.gateway.http.ApiException what the local lane refuses before rendering
     */
    public static Supplier<Prompt> chat(ChatCompletionRequest request, String modelId) {
        Refusals.chat(request, modelId);
        return () -> ChatPrompts.of(request);
    }

    /** A legacy completion's prompt when it is one text; null otherwise (several prompts, token ids). */
    public static Supplier<Prompt> completion(CompletionRequest request, String modelId) {
        Refusals.completions(request, modelId);
        return request.prompts().size() == 1 && request.prompts().getFirst() instanceof Prompt.Text t ? () -> t : null;
    }

    /**
     * Renders and tokenises {@code prompt}.
     *
     * @throws io.fairlane.gateway.http.ApiException the 400 a local lane gives when the template or tokenizer refuses
     */
    public static int[] tokenIds(PromptTokenizer tokenizer, Supplier<Prompt> prompt) {
        try {
            return tokenizer.prepare(prompt.get()).tokenIds();
        } catch (EngineException e) {
            throw EngineErrors.toApi(e);
        }
    }
}
