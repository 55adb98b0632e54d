package io.fairlane.engine.runtime;

import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.ThinkingMode;
import io.fairlane.engine.kv.KvSequence;
import io.fairlane.engine.sampling.ConstraintVocabulary;
import io.fairlane.engine.sampling.SamplingState;
import io.fairlane.engine.sampling.StopConditions;
import io.fairlane.engine.sampling.StopMatcher;
import java.util.Objects;
import java.util.Set;

/**
 * Builds a request's choices with everything each needs to produce text on its own: a sampling state on its own
 * seed stream (with the output constraint's automaton when the request has one), stop conditions, an incremental
 * decoder and a stop-string matcher.
 *
 * <p>Thread-safe: submission builds choice 0 on the caller's thread, the loop builds the others when the
 * prompt forks. The constraint vocabulary (the token bytes of the whole vocabulary, costly to build) is made on
 * the first constrained request and shared after.
 */
final class ChoiceFactory {

    private final ModelInfo model;
    private final TextCodec text;
    private final Set<Integer> eosTokens;
    private volatile ConstraintVocabulary constraintVocabulary;

    ChoiceFactory(ModelInfo model, TextCodec text) {
        this.model = Objects.requireNonNull(model, "model");
        this.text = Objects.requireNonNull(text, "text");
        this.eosTokens = Set.copyOf(model.eosTokenIds());
    }

    /** Choice {@code index} of {@code job}, over sequence {@code seq}. */
    Choice newChoice(GenerationJob job, int index, KvSequence seq) {
        SamplingParams params = job.request.sampling();
        ThinkingMode thinking = job.request.prompt().thinking();
        // A thinking model needs the vocabulary even without a constraint: the sampler tracks where the thinking ends.
        ConstraintVocabulary vocabulary = params.constraint() == null && thinking == ThinkingMode.NONE
                ? null : constraintVocabulary();
        return new Choice(job, index, seq, SamplingState.of(params, job.requestSeed, index, vocabulary, thinking),
                new StopConditions(eosTokens, params, model.contextLength()), text.newDecoder(),
                new StopMatcher(params.stop()));
    }

    private ConstraintVocabulary constraintVocabulary() {
        ConstraintVocabulary v = constraintVocabulary;
        if (v == null) {
            synchronized (this) {
                v = constraintVocabulary;
                if (v == null) {
                    v = ConstraintVocabulary.of(model.vocabSize(), text::tokenBytes, text::isSpecial, eosTokens);
                    constraintVocabulary = v;
                }
            }
        }
        return v;
    }

    @Override
    public String toString() {
        return "ChoiceFactory[" + model.id() + ", constraint vocabulary " + (constraintVocabulary != null) + "]";
    }
}
