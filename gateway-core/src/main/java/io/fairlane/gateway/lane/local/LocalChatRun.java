package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.Usage;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.ChatCompletionRequest;
import io.fairlane.gateway.openai.TokenUsage;
import java.util.ArrayList;
import java.util.List;

/**
 * One chat completion on the local engine: turns its token events into OpenAI's chunk stream (role first,
 * a thinking model's reasoning as {@code reasoning_content} apart from its answer, tool calls as proper deltas, a final {@code delta: {}} with {@code finish_reason} per choice, usage only when
 * asked, {@code [DONE]}) or, unstreamed, into one {@code chat.completion} object ({@link ChatChunks} writes
 * the shapes, {@link LocalOutput} sends them). A forced tool call (the engine constrained the output to one
 * call) is read by {@link ForcedToolCall} and streamed as the call's deltas, its arguments as they are generated;
 * free text goes through {@link ToolCallParser} when tools are enabled.
 *
 * <p>Confined to the client's event loop (engine events reach it through the {@link EngineEventGate}).
 */
final class LocalChatRun {

    private final Exchange exchange;
    private final ChatCompletionRequest request;
    private final PreparedPrompt prompt;
    private final SamplingParams sampling;
    private final ChatChunks chunks;
    private final LocalOutput output;
    private final Choice[] choices;
    /** Releases the exchange's bookkeeping once the engine has said what the request used. */
    private Runnable settled = () -> { };

    /** What one choice has produced so far. */
    private static final class Choice {
        final ToolCallParser parser;
        /** For a forced tool call (output constrained to one call), instead of the parser. */
        final ForcedToolCall forced;
        final StringBuilder content = new StringBuilder();
        final StringBuilder reasoning = new StringBuilder();
        final List<ToolCallParser.Call> calls = new ArrayList<>();
        /** The thinking of a model that thinks, created at its first reasoning token. */
        ThinkingText thinking;
        final ArrayNode logprobs = Json.MAPPER.createArrayNode();
        String finishReason;

        Choice(boolean tools, boolean forcedCall) {
            parser = tools && !forcedCall ? new ToolCallParser() : null;
            forced = forcedCall ? new ForcedToolCall() : null;
        }
    }

    LocalChatRun(Exchange exchange, ChatCompletionRequest request, PreparedPrompt prompt, SamplingParams sampling,
                 ChatChunks chunks, LocalOutput output) {
        this.exchange = exchange;
        this.request = request;
        this.prompt = prompt;
        this.sampling = sampling;
        this.chunks = chunks;
        this.output = output;
        this.choices = new Choice[request.n()];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice(request.toolsEnabled(), sampling.constraint() instanceof OutputConstraint.ToolCall);
        }
    }

    /**
     * The engine accepted the request: from now on its events, those already held included, come here. Until the
     * engine's last event (finished, failed or aborted) has said what the request used, the exchange's bookkeeping
     * waits for it, so a client that leaves mid-stream is billed for what was generated.
     */
    void start(GenerationStream stream, EngineEventGate gate) {
        exchange.log().promptTokens = prompt.length();
        settled = exchange.holdSettlement();
        exchange.onClientGone(() -> {
            output.cancel();
            stream.cancel();
        });
        gate.attach((p, event) -> on(event));
    }

    private void on(TokenEvent event) {
        if (exchange.isDone()) {
            // The client left or the response failed; the engine's last word still settles what was used.
            switch (event) {
                case TokenEvent.Finished f -> settle(LocalOutput.usageOf(f.usage()));
                case TokenEvent.Failed f -> settle(LocalOutput.usageOf(f.usage()));
                default -> {
                }
            }
            return;
        }
        switch (event) {
            case TokenEvent.Scheduled s -> {
                exchange.log().queueNanos = s.queueNanos();
                exchange.log().cachedTokens = s.cachedTokens();
                ensureStarted();
            }
            case TokenEvent.Token t -> token(t);
            case TokenEvent.ChoiceFinished f -> choiceFinished(f);
            case TokenEvent.Finished f -> finished(f.usage());
            case TokenEvent.Failed f -> {
                settle(LocalOutput.usageOf(f.usage()));
                output.fail(f.error());
            }
        }
    }

    private void settle(TokenUsage usage) {
        output.recordUsage(usage);
        settled.run();
    }

    private void ensureStarted() {
        output.start(() -> {
            for (int i = 0; i < choices.length; i++) {
                output.send(chunks.role(i));
            }
        });
    }

    private void token(TokenEvent.Token t) {
        ensureStarted();
        Choice c = choices[t.choice()];
        output.markToken();
        if (t.reasoning()) {
            if (c.thinking == null) {
                c.thinking = new ThinkingText();
            }
            reasoning(t.choice(), c.thinking.feed(t.text()));
            return;
        }
        if (c.thinking != null) {
            reasoning(t.choice(), c.thinking.finish());
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

    /**
     * The model's thinking, apart from its answer: {@code reasoning_content} deltas on a stream, the message's
     * {@code reasoning_content} otherwise. It never reaches the answer's content, the tool-call parser or a forced
     * call's reader (the engine's constraints, too, apply only after it).
     */
    private void reasoning(int index, String text) {
        if (text.isEmpty()) {
            return;
        }
        if (request.stream()) {
            output.send(chunks.chunk(index, ChatChunks.reasoningDelta(text), null, null));
        } else {
            choices[index].reasoning.append(text);
        }
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
            output.send(chunks.chunk(index, ChatChunks.contentDelta(""), ChatChunks.logprobsOf(lp), null));
            return;
        }
        for (ToolCallParser.Piece p : pieces) {
            switch (p) {
                case ToolCallParser.Text text ->
                        output.send(chunks.chunk(index, ChatChunks.contentDelta(text.text()), ChatChunks.logprobsOf(lp),
                                null));
                case ToolCallParser.Call call -> {
                    c.calls.add(call);
                    output.send(chunks.chunk(index, ChatChunks.callStart(call.index(), call.id(), call.name()),
                            ChatChunks.logprobsOf(lp), null));
                    output.send(chunks.chunk(index, ChatChunks.callArguments(call.index(), call.arguments()), null,
                            null));
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
            output.send(chunks.chunk(index, ChatChunks.contentDelta(""), ChatChunks.logprobsOf(lp), null));
            return;
        }
        for (ForcedToolCall.Event e : events) {
            ObjectNode delta = switch (e) {
                case ForcedToolCall.Started started -> ChatChunks.callStart(0, started.id(), started.name());
                case ForcedToolCall.Arguments args -> ChatChunks.callArguments(0, args.fragment());
            };
            output.send(chunks.chunk(index, delta, ChatChunks.logprobsOf(lp), null));
            lp = null;
        }
    }

    private void choiceFinished(TokenEvent.ChoiceFinished f) {
        ensureStarted();
        Choice c = choices[f.choice()];
        if (c.thinking != null) {
            reasoning(f.choice(), c.thinking.finish());
        }
        if (c.forced != null) {
            if (c.forced.started()) {
                c.calls.add(c.forced.call());
            }
            // A call cut short (max_tokens) keeps the engine's reason: its arguments are not complete JSON.
            c.finishReason = c.forced.complete() ? "tool_calls" : f.reason().wireName();
        } else {
            List<ToolCallParser.Piece> rest = c.parser == null ? List.of() : c.parser.finish();
            if (request.stream()) {
                emit(f.choice(), rest, null);
            } else {
                collect(c, rest);
            }
            c.finishReason = c.calls.isEmpty() ? f.reason().wireName() : "tool_calls";
        }
        if (request.stream()) {
            output.send(chunks.chunk(f.choice(), Json.MAPPER.createObjectNode(), null, c.finishReason));
        }
    }

    private void finished(Usage u) {
        TokenUsage usage = LocalOutput.usageOf(u);
        settle(usage);
        if (request.stream()) {
            ensureStarted();
        }
        output.finish(usage, () -> chunks.base("chat.completion.chunk"), () -> {
            ObjectNode body = chunks.base("chat.completion");
            ArrayNode arr = body.putArray("choices");
            for (int i = 0; i < choices.length; i++) {
                Choice c = choices[i];
                ChatChunks.completeChoice(arr, i, c.content.toString(), c.reasoning.toString(), c.calls,
                        sampling.logprobs() ? c.logprobs : null, c.finishReason);
            }
            return body;
        });
    }
}
