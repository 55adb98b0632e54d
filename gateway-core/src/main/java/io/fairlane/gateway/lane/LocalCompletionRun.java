package io.fairlane.gateway.lane;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.local.Logprobs;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.Usages;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One legacy completion on the local engine. Several prompts become several engine requests; their
 * choices are numbered prompt by prompt ({@code index = prompt * n + choice}) as OpenAI does, and the
 * response (or stream) ends when every prompt has finished. {@code echo} puts each prompt's text before its
 * completions; {@code logprobs} uses the legacy shape.
 *
 * <p>Confined to the client's event loop.
 */
final class LocalCompletionRun {

    private final LocalEngineBackend backend;
    private final Exchange exchange;
    private final RequestContext context;
    private final CompletionRequest request;
    private final List<PreparedPrompt> prompts;
    private final List<SamplingParams> samplings;
    private final String id = RequestIds.generate("cmpl-");
    private final long created = System.currentTimeMillis() / 1000;
    private final String fingerprint;
    private final Choice[] choices;
    private final List<GenerationStream> streams = new ArrayList<>();
    private final SlowClientGuard guard;
    private int unfinishedPrompts;
    private int promptTokens;
    private int cachedTokens;
    private int completionTokens;
    private boolean started;

    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        Logprobs.Legacy logprobs;
        String finishReason;
        boolean echoed;
    }

    LocalCompletionRun(LocalEngineBackend backend, Exchange exchange, RequestContext context, CompletionRequest request,
                       List<PreparedPrompt> prompts, List<SamplingParams> samplings) {
        this.backend = backend;
        this.exchange = exchange;
        this.context = context;
        this.request = request;
        this.prompts = prompts;
        this.samplings = samplings;
        this.fingerprint = backend.engine().model().fingerprint();
        this.choices = new Choice[prompts.size() * request.n()];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice();
            if (request.logprobs() >= 0) {
                choices[i].logprobs = new Logprobs.Legacy(request.logprobs());
            }
        }
        this.guard = new SlowClientGuard(exchange, backend.server().maxBufferedOutput(),
                backend.server().slowClientTimeout().toNanos());
    }

    void start() {
        unfinishedPrompts = prompts.size();
        exchange.onClientGone(this::cancelAll);
        for (int p = 0; p < prompts.size(); p++) {
            int promptIndex = p;
            String requestId = prompts.size() == 1 ? exchange.requestId() : exchange.requestId() + "#" + p;
            GenerationRequest g = new GenerationRequest(requestId, context.tenant().id(), context.tier(),
                    context.tenant().cacheSalt(), prompts.get(p), samplings.get(p), request.n());
            try {
                streams.add(backend.engine().submit(g, LocalEngineBackend.sink(exchange, e -> on(promptIndex, e))));
            } catch (io.fairlane.engine.EngineException e) {
                cancelAll();
                // The engine names chat's parameter; here the prompt is at fault.
                if ("messages".equals(e.param())) {
                    throw new io.fairlane.engine.EngineException(e.kind(), e.getMessage(), "prompt", e.rejection(), e);
                }
                throw e;
            } catch (RuntimeException e) {
                cancelAll();
                throw e;
            }
        }
    }

    private void cancelAll() {
        guard.cancel();
        for (GenerationStream s : streams) {
            s.cancel();
        }
    }

    private void on(int prompt, TokenEvent event) {
        if (exchange.isDone()) {
            return;
        }
        switch (event) {
            case TokenEvent.Scheduled s -> {
                exchange.log().queueNanos = Math.max(exchange.log().queueNanos, s.queueNanos());
                ensureStarted();
            }
            case TokenEvent.Token t -> token(prompt, t);
            case TokenEvent.ChoiceFinished f -> choiceFinished(prompt, f);
            case TokenEvent.Finished f -> {
                promptTokens += f.usage().promptTokens();
                cachedTokens += f.usage().cachedTokens();
                completionTokens += f.usage().completionTokens();
                if (--unfinishedPrompts == 0) {
                    finished();
                }
            }
            case TokenEvent.Failed f -> {
                cancelAll();
                exchange.fail(f.error());
            }
        }
    }

    private void ensureStarted() {
        if (started) {
            return;
        }
        started = true;
        if (request.stream()) {
            exchange.startStream();
        }
    }

    private void token(int prompt, TokenEvent.Token t) {
        ensureStarted();
        int index = prompt * request.n() + t.choice();
        Choice c = choices[index];
        long gap = exchange.markToken();
        if (gap >= 0 && request.stream()) {
            context.meters().interTokenLatency().record(gap, TimeUnit.NANOSECONDS);
        }
        String echo = echo(prompt, c);
        int offset = c.text.length() + echo.length();
        if (!request.stream()) {
            c.text.append(echo).append(t.text());
            if (c.logprobs != null && t.logprob() != null) {
                c.logprobs.add(t.logprob(), offset);
            }
            return;
        }
        c.text.append(echo).append(t.text());
        ObjectNode lp = c.logprobs != null && t.logprob() != null
                ? Logprobs.Legacy.single(t.logprob(), request.logprobs(), offset) : null;
        send(chunk(index, echo + t.text(), lp, null));
    }

    /** The prompt's text the first time a choice says anything, when echo is on. */
    private String echo(int prompt, Choice c) {
        if (!request.echo() || c.echoed) {
            return "";
        }
        c.echoed = true;
        return prompts.get(prompt).text();
    }

    private void choiceFinished(int prompt, TokenEvent.ChoiceFinished f) {
        ensureStarted();
        int index = prompt * request.n() + f.choice();
        Choice c = choices[index];
        String echo = echo(prompt, c);
        c.text.append(echo);
        c.finishReason = f.reason().wireName();
        if (request.stream()) {
            send(chunk(index, echo, null, c.finishReason));
        }
    }

    private void finished() {
        guard.cancel();
        exchange.log().promptTokens = promptTokens;
        exchange.log().cachedTokens = cachedTokens;
        exchange.log().completionTokens = completionTokens;
        ObjectNode usage = Usages.of(promptTokens, cachedTokens, completionTokens);
        if (request.stream()) {
            if (request.includeUsage()) {
                ObjectNode last = base();
                last.putArray("choices");
                last.set("usage", usage);
                exchange.sendEvent(Json.sseEvent(exchange.alloc(), last));
            }
            exchange.endStream();
            return;
        }
        ObjectNode body = base();
        ArrayNode arr = body.putArray("choices");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            ObjectNode choice = arr.addObject();
            choice.put("text", c.text.toString());
            choice.put("index", i);
            if (c.logprobs != null) {
                choice.set("logprobs", c.logprobs.node());
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", c.finishReason == null ? "stop" : c.finishReason);
        }
        body.set("usage", usage);
        exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
    }

    private ObjectNode base() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", "text_completion");
        o.put("created", created);
        o.put("model", request.model());
        o.put("system_fingerprint", fingerprint);
        return o;
    }

    private ObjectNode chunk(int index, String text, ObjectNode logprobs, String finishReason) {
        ObjectNode o = base();
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("text", text);
        choice.put("index", index);
        if (logprobs == null) {
            choice.putNull("logprobs");
        } else {
            choice.set("logprobs", logprobs);
        }
        if (finishReason == null) {
            choice.putNull("finish_reason");
        } else {
            choice.put("finish_reason", finishReason);
        }
        if (request.includeUsage()) {
            o.putNull("usage");
        }
        return o;
    }

    private void send(ObjectNode chunk) {
        exchange.sendEvent(Json.sseEvent(exchange.alloc(), chunk));
        guard.afterWrite();
    }
}
