package io.fairlane.gateway.lane;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.Usage;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.local.ForcedToolCall;
import io.fairlane.gateway.local.Logprobs;
import io.fairlane.gateway.local.ToolCallParser;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.ServiceTiers;
import io.fairlane.gateway.openai.Usages;
import io.netty.handler.codec.http.HttpResponseStatus;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * One chat completion on the local engine: turns token events into OpenAI's chunk stream (role first,
 * every chunk with id/created/model, tool calls as proper deltas, a final {@code delta: {}} with
 * {@code finish_reason} per choice, usage only when asked, {@code [DONE]}) or, unstreamed, into one
 * {@code chat.completion} object. A forced tool call (the engine constrained the output to one call) is read by
 * {@link ForcedToolCall} and streamed as the call's deltas, its arguments as they are generated.
 *
 * <p>Confined to the client's event loop (engine events hop there through the sink).
 */
final class LocalChatRun {

    private final LocalEngineBackend backend;
    private final Exchange exchange;
    private final RequestContext context;
    private final ChatCompletionRequest request;
    private final PreparedPrompt prompt;
    private final SamplingParams sampling;
    private final String id = RequestIds.generate("chatcmpl-");
    private final long created = System.currentTimeMillis() / 1000;
    private final String fingerprint;
    private final Choice[] choices;
    private final SlowClientGuard guard;
    private GenerationStream stream;
    private boolean started;

    /** What one choice has produced so far. */
    private static final class Choice {
        final ToolCallParser parser;
        /** For a forced tool call (output constrained to one call), instead of the parser. */
        final ForcedToolCall forced;
        final StringBuilder content = new StringBuilder();
        final List<ToolCallParser.Call> calls = new ArrayList<>();
        final ArrayNode logprobs = Json.MAPPER.createArrayNode();
        String finishReason;

        Choice(boolean tools, boolean forcedCall) {
            parser = tools && !forcedCall ? new ToolCallParser() : null;
            forced = forcedCall ? new ForcedToolCall() : null;
        }
    }

    LocalChatRun(LocalEngineBackend backend, Exchange exchange, RequestContext context, ChatCompletionRequest request,
                 PreparedPrompt prompt, SamplingParams sampling) {
        this.backend = backend;
        this.exchange = exchange;
        this.context = context;
        this.request = request;
        this.prompt = prompt;
        this.sampling = sampling;
        this.fingerprint = backend.engine().model().fingerprint();
        this.choices = new Choice[request.n()];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice(request.toolsEnabled(),
                    sampling.constraint() instanceof OutputConstraint.ToolCall);
        }
        this.guard = new SlowClientGuard(exchange, backend.server().maxBufferedOutput(),
                backend.server().slowClientTimeout().toNanos());
    }

    void start() {
        GenerationRequest g = new GenerationRequest(exchange.requestId(), context.tenant().id(), context.tier(),
                context.tenant().cacheSalt(), prompt, sampling, request.n());
        exchange.log().promptTokens = prompt.length();
        stream = backend.engine().submit(g, LocalEngineBackend.sink(exchange, this::on));
        exchange.onClientGone(() -> {
            guard.cancel();
            stream.cancel();
        });
    }

    private void on(TokenEvent event) {
        if (exchange.isDone()) {
            return;
        }
        switch (event) {
            case TokenEvent.Scheduled s -> scheduled(s);
            case TokenEvent.Token t -> token(t);
            case TokenEvent.ChoiceFinished f -> choiceFinished(f);
            case TokenEvent.Finished f -> finished(f.usage());
            case TokenEvent.Failed f -> {
                guard.cancel();
                exchange.fail(f.error());
            }
        }
    }

    private void scheduled(TokenEvent.Scheduled s) {
        exchange.log().queueNanos = s.queueNanos();
        exchange.log().cachedTokens = s.cachedTokens();
        ensureStarted();
    }

    private void ensureStarted() {
        if (started || !request.stream()) {
            started = true;
            return;
        }
        started = true;
        exchange.startStream();
        for (int i = 0; i < choices.length; i++) {
            ObjectNode delta = Json.MAPPER.createObjectNode();
            delta.put("role", "assistant");
            delta.put("content", "");
            delta.putNull("refusal");
            send(chunk(i, delta, null, null));
        }
    }

    private void token(TokenEvent.Token t) {
        ensureStarted();
        Choice c = choices[t.choice()];
        long gap = exchange.markToken();
        if (gap >= 0 && request.stream()) {
            context.meters().interTokenLatency().record(gap, TimeUnit.NANOSECONDS);
        }
        ObjectNode logprob = t.logprob() == null ? null : Logprobs.chatEntry(t.logprob(), sampling.topLogprobs());
        if (c.forced != null) {
            List<ForcedToolCall.Event> events = c.forced.feed(t.text());
            if (!request.stream()) {
                if (logprob != null) {
                    c.logprobs.add(logprob);
                }
            } else {
                emitForced(t.choice(), events, logprob);
            }
            return;
        }
        List<ToolCallParser.Piece> pieces = c.parser == null
                ? (t.text().isEmpty() ? List.of() : List.of(new ToolCallParser.Text(t.text())))
                : c.parser.feed(t.text());
        if (!request.stream()) {
            if (logprob != null) {
                c.logprobs.add(logprob);
            }
            collect(c, pieces);
            return;
        }
        emit(t.choice(), pieces, logprob);
    }

    private static void collect(Choice c, List<ToolCallParser.Piece> pieces) {
        for (ToolCallParser.Piece p : pieces) {
            switch (p) {
                case ToolCallParser.Text text -> c.content.append(text.text());
                case ToolCallParser.Call call -> c.calls.add(call);
            }
        }
    }

    /** Streams pieces as deltas; a token's logprob rides on its first delta (or an empty one). */
    private void emit(int index, List<ToolCallParser.Piece> pieces, ObjectNode logprob) {
        Choice c = choices[index];
        ObjectNode lp = logprob;
        if (pieces.isEmpty() && lp != null) {
            ObjectNode delta = Json.MAPPER.createObjectNode();
            delta.put("content", "");
            send(chunk(index, delta, logprobsOf(lp), null));
            return;
        }
        for (ToolCallParser.Piece p : pieces) {
            switch (p) {
                case ToolCallParser.Text text -> {
                    ObjectNode delta = Json.MAPPER.createObjectNode();
                    delta.put("content", text.text());
                    send(chunk(index, delta, logprobsOf(lp), null));
                }
                case ToolCallParser.Call call -> {
                    c.calls.add(call);
                    ObjectNode first = Json.MAPPER.createObjectNode();
                    ObjectNode tc = first.putArray("tool_calls").addObject();
                    tc.put("index", call.index());
                    tc.put("id", call.id());
                    tc.put("type", "function");
                    ObjectNode fn = tc.putObject("function");
                    fn.put("name", call.name());
                    fn.put("arguments", "");
                    send(chunk(index, first, logprobsOf(lp), null));
                    ObjectNode args = Json.MAPPER.createObjectNode();
                    ObjectNode tc2 = args.putArray("tool_calls").addObject();
                    tc2.put("index", call.index());
                    tc2.putObject("function").put("arguments", call.arguments());
                    send(chunk(index, args, null, null));
                }
            }
            lp = null;
        }
    }

    /**
     * Streams a forced call as OpenAI does: the first delta of the call carries its index, id, type, name and
     * empty arguments; later ones the index and the next piece of the arguments.
     */
    private void emitForced(int index, List<ForcedToolCall.Event> events, ObjectNode logprob) {
        ObjectNode lp = logprob;
        if (events.isEmpty() && lp != null) {
            ObjectNode delta = Json.MAPPER.createObjectNode();
            delta.put("content", "");
            send(chunk(index, delta, logprobsOf(lp), null));
            return;
        }
        for (ForcedToolCall.Event e : events) {
            ObjectNode delta = Json.MAPPER.createObjectNode();
            ObjectNode tc = delta.putArray("tool_calls").addObject();
            tc.put("index", 0);
            switch (e) {
                case ForcedToolCall.Started started -> {
                    tc.put("id", started.id());
                    tc.put("type", "function");
                    ObjectNode fn = tc.putObject("function");
                    fn.put("name", started.name());
                    fn.put("arguments", "");
                }
                case ForcedToolCall.Arguments args -> tc.putObject("function").put("arguments", args.fragment());
            }
            send(chunk(index, delta, logprobsOf(lp), null));
            lp = null;
        }
    }

    private static ObjectNode logprobsOf(ObjectNode entry) {
        if (entry == null) {
            return null;
        }
        ObjectNode lp = Json.MAPPER.createObjectNode();
        lp.putArray("content").add(entry);
        lp.putNull("refusal");
        return lp;
    }

    private void choiceFinished(TokenEvent.ChoiceFinished f) {
        ensureStarted();
        Choice c = choices[f.choice()];
        if (c.forced != null) {
            if (c.forced.started()) {
                c.calls.add(c.forced.call());
            }
            // A call cut short (max_tokens) keeps the engine's reason: its arguments are not complete JSON.
            c.finishReason = c.forced.complete() ? "tool_calls" : f.reason().wireName();
            if (request.stream()) {
                send(chunk(f.choice(), Json.MAPPER.createObjectNode(), null, c.finishReason));
            }
            return;
        }
        List<ToolCallParser.Piece> rest = c.parser == null ? List.of() : c.parser.finish();
        if (request.stream()) {
            emit(f.choice(), rest, null);
        } else {
            collect(c, rest);
        }
        c.finishReason = c.calls.isEmpty() ? f.reason().wireName() : "tool_calls";
        if (request.stream()) {
            send(chunk(f.choice(), Json.MAPPER.createObjectNode(), null, c.finishReason));
        }
    }

    private void finished(Usage usage) {
        guard.cancel();
        exchange.log().promptTokens = usage.promptTokens();
        exchange.log().cachedTokens = usage.cachedTokens();
        exchange.log().completionTokens = usage.completionTokens();
        ObjectNode u = Usages.of(usage.promptTokens(), usage.cachedTokens(), usage.completionTokens());
        if (request.stream()) {
            ensureStarted();
            if (request.includeUsage()) {
                ObjectNode last = base("chat.completion.chunk");
                last.putArray("choices");
                last.set("usage", u);
                exchange.sendEvent(Json.sseEvent(exchange.alloc(), last));
            }
            exchange.endStream();
            return;
        }
        ObjectNode body = base("chat.completion");
        ArrayNode arr = body.putArray("choices");
        for (int i = 0; i < choices.length; i++) {
            Choice c = choices[i];
            ObjectNode choice = arr.addObject();
            choice.put("index", i);
            ObjectNode message = choice.putObject("message");
            message.put("role", "assistant");
            if (c.content.isEmpty() && !c.calls.isEmpty()) {
                message.putNull("content");
            } else {
                message.put("content", c.content.toString());
            }
            message.putNull("refusal");
            if (!c.calls.isEmpty()) {
                ArrayNode calls = message.putArray("tool_calls");
                for (ToolCallParser.Call call : c.calls) {
                    ObjectNode tc = calls.addObject();
                    tc.put("id", call.id());
                    tc.put("type", "function");
                    ObjectNode fn = tc.putObject("function");
                    fn.put("name", call.name());
                    fn.put("arguments", call.arguments());
                }
            }
            message.putArray("annotations");
            if (sampling.logprobs()) {
                ObjectNode lp = choice.putObject("logprobs");
                lp.set("content", c.logprobs);
                lp.putNull("refusal");
            } else {
                choice.putNull("logprobs");
            }
            choice.put("finish_reason", c.finishReason == null ? "stop" : c.finishReason);
        }
        body.set("usage", u);
        exchange.respond(HttpResponseStatus.OK, Json.write(exchange.alloc(), body));
    }

    private ObjectNode base(String object) {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", object);
        o.put("created", created);
        o.put("model", request.model());
        o.put("system_fingerprint", fingerprint);
        o.put("service_tier", ServiceTiers.wire(context.tier()));
        return o;
    }

    private ObjectNode chunk(int index, ObjectNode delta, ObjectNode logprobs, String finishReason) {
        ObjectNode o = base("chat.completion.chunk");
        ObjectNode choice = o.putArray("choices").addObject();
        choice.put("index", index);
        choice.set("delta", delta);
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
