package io.fairlane.engine.runtime;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineException.Kind;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.grammar.Grammars;
import io.fairlane.engine.grammar.SchemaException;

/**
 * Checks a request against what the loaded model and engine can serve, before it is queued. Every refusal
 * is an {@link EngineException} naming the parameter at fault, so the gateway can answer with an OpenAI
 * error body. Messages follow OpenAI's wording for context-length errors, which clients and people
 * recognise.
 */
final class RequestValidation {

    /** OpenAI's documented bound on {@code top_logprobs}, which the sampler enforces too. */
    static final int MAX_TOP_LOGPROBS = io.fairlane.engine.sampling.Sampler.MAX_TOP_LOGPROBS;

    private RequestValidation() {
    }

    /**
     * @param maxChoices       the most choices one request may ask for (the running-sequence bound)
     * @param kvTokenCapacity  tokens the whole KV pool can hold: one sequence must fit it alone
     */
    static void check(GenerationRequest request, ModelInfo model, int maxChoices, long kvTokenCapacity) {
        PreparedPrompt prompt = request.prompt();
        SamplingParams sampling = request.sampling();
        int context = model.contextLength();
        checkTokens(prompt, model, "prompt");
        if (prompt.length() > context) {
            throw new EngineException(Kind.CONTEXT_LENGTH_EXCEEDED, "This model's maximum context length is "
                    + context + " tokens. However, your prompt has " + prompt.length()
                    + " tokens. Please reduce the length of the prompt.", "messages");
        }
        long total = (long) prompt.length() + sampling.maxTokens();
        if (total > context) {
            throw new EngineException(Kind.CONTEXT_LENGTH_EXCEEDED, "This model's maximum context length is "
                    + context + " tokens. However, you requested " + total + " tokens (" + prompt.length()
                    + " in the prompt, " + sampling.maxTokens() + " for the completion). Please reduce the prompt or "
                    + "max_tokens.", "max_tokens");
        }
        if (total > kvTokenCapacity) {
            throw new EngineException(Kind.INVALID_REQUEST, "The request needs room for " + total
                    + " tokens but this engine's KV cache holds " + kvTokenCapacity
                    + " tokens. Please reduce the prompt or max_tokens.", "max_tokens");
        }
        if (request.n() > maxChoices) {
            throw new EngineException(Kind.INVALID_REQUEST, "n must be at most " + maxChoices + " on this model, was "
                    + request.n() + ".", "n");
        }
        for (String stop : sampling.stop()) {
            if (stop.isEmpty()) {
                throw new EngineException(Kind.INVALID_REQUEST, "stop sequences must not be empty.", "stop");
            }
        }
        if (sampling.topLogprobs() > MAX_TOP_LOGPROBS) {
            throw new EngineException(Kind.INVALID_REQUEST, "top_logprobs must be at most " + MAX_TOP_LOGPROBS
                    + ", was " + sampling.topLogprobs() + ".", "top_logprobs");
        }
        if (sampling.constraint() != null) {
            checkConstraint(sampling.constraint());
        }
        for (Integer token : sampling.logitBias().keySet()) {
            if (token < 0 || token >= model.vocabSize()) {
                throw new EngineException(Kind.INVALID_REQUEST, "logit_bias names token " + token
                        + ", outside this model's vocabulary of " + model.vocabSize() + " tokens.", "logit_bias");
            }
        }
    }

    /**
     * Compiles a constraint's schema now (into the grammar cache), so that a schema that cannot be enforced is a
     * 400 at submission, never a failure in the engine loop. The cause is the
     * {@link io.fairlane.engine.grammar.SchemaException} naming the keyword and its JSON pointer; the parameter is
     * the one OpenAI's chat API would blame ({@code response_format} or {@code tools}).
     */
    private static void checkConstraint(OutputConstraint constraint) {
        if (!Grammars.needsGrammar(constraint)) {
            return;
        }
        try {
            Grammars.compile(constraint);
        } catch (SchemaException e) {
            String param = constraint instanceof OutputConstraint.JsonSchema ? "response_format" : "tools";
            throw new EngineException(Kind.INVALID_REQUEST, "Invalid schema: " + e.getMessage(), param, null, e);
        }
    }

    static void check(EmbeddingRequest request, ModelInfo model) {
        for (PreparedPrompt input : request.inputs()) {
            checkTokens(input, model, "input");
            if (input.length() > model.contextLength()) {
                throw new EngineException(Kind.CONTEXT_LENGTH_EXCEEDED, "This model's maximum context length is "
                        + model.contextLength() + " tokens, however you requested " + input.length()
                        + " tokens in one input. Please reduce your input.", "input");
            }
        }
        if (request.dimensions() < 0 || request.dimensions() > model.hiddenSize()) {
            throw new EngineException(Kind.INVALID_REQUEST, "dimensions must be between 1 and " + model.hiddenSize()
                    + " for this model, was " + request.dimensions() + ".", "dimensions");
        }
    }

    private static void checkTokens(PreparedPrompt prompt, ModelInfo model, String param) {
        if (prompt.length() == 0) {
            throw new EngineException(Kind.INVALID_REQUEST, "The " + param + " must not be empty.", param);
        }
        checkVocabulary(prompt.tokenIds(), model.vocabSize(), param);
    }

    /** Refuses the first id outside {@code [0, vocabSize)}; also what {@link PromptEncoder} checks client ids with. */
    static void checkVocabulary(int[] tokenIds, int vocabSize, String param) {
        for (int id : tokenIds) {
            if (id < 0 || id >= vocabSize) {
                throw new EngineException(Kind.INVALID_REQUEST, "The " + param + " holds token id " + id
                        + ", outside this model's vocabulary of " + vocabSize + " tokens.", param);
            }
        }
    }
}
