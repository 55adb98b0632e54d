package io.fairlane.conformance.lanes;

import static java.util.Objects.requireNonNull;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import io.fairlane.scheduler.RateLimitStatus;
import io.fairlane.scheduler.TenantSpec;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Fault injection for the local lane's {@code errors.mid-stream} check: the real engine generates, and
 * after the first output token this wrapper aborts the request and reports an internal engine failure,
 * as a crashed forward pass would. Everything else goes straight to the real engine, which the lane's
 * healthy model shares (so closing this wrapper leaves the engine to its owner).
 */
final class MidStreamFaultEngine implements InferenceEngine {

    private final InferenceEngine engine;

    MidStreamFaultEngine(InferenceEngine engine) {
        this.engine = requireNonNull(engine, "engine");
    }

    @Override
    public ModelInfo model() {
        return engine.model();
    }

    @Override
    public PreparedPrompt prepare(Prompt prompt) {
        return engine.prepare(prompt);
    }

    @Override
    public GenerationStream submit(GenerationRequest request, TokenSink sink) {
        // Called on the engine's loop thread, one event at a time: a plain field is enough.
        TokenSink faulty = new TokenSink() {
            private boolean failed;

            @Override
            public void accept(TokenEvent event) {
                if (failed) {
                    return;
                }
                sink.accept(event);
                if (event instanceof TokenEvent.Token) {
                    failed = true;
                    engine.abort(request.requestId());
                    sink.accept(new TokenEvent.Failed(new EngineException(EngineException.Kind.INTERNAL,
                            "injected fault: the forward pass failed after the first token", null)));
                }
            }
        };
        return engine.submit(request, faulty);
    }

    @Override
    public void abort(String requestId) {
        engine.abort(requestId);
    }

    @Override
    public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
        return engine.embed(request);
    }

    @Override
    public EngineSnapshot snapshot() {
        return engine.snapshot();
    }

    @Override
    public RateLimitStatus rateLimitStatus(String tenant) {
        return engine.rateLimitStatus(tenant);
    }

    @Override
    public void updateTenants(List<TenantSpec> tenants) {
        engine.updateTenants(tenants);
    }

    @Override
    public void close() {
        // the shared engine is closed by the lane that owns it
    }
}
