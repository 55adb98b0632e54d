package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.Usage;
import io.fairlane.gateway.http.Exchange;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.http.RequestIds;
import io.fairlane.gateway.openai.CompletionRequest;
import io.fairlane.gateway.openai.TokenUsage;
import java.util.List;

/**
 * One legacy completion on the local engine. Several prompts are several engine requests; their choices are
 * numbered prompt by prompt ({@code index = prompt * n + choice}) as OpenAI does, and the response (or stream)
 * ends when every prompt has finished. {@code echo} puts each prompt's text before its completions;
 * {@code logprobs} uses the legacy shape.
 *
 * <p>Confined to the client's event loop (engine events reach it through the {@link EngineEventGate}).
 */
final class LocalCompletionRun {

    private final Exchange exchange;
    private final CompletionRequest request;
    private final List<PreparedPrompt> prompts;
    private final String id = RequestIds.generate("cmpl-");
    private final long created = System.currentTimeMillis() / 1000;
    private final String fingerprint;
    private final LocalOutput output;
    private final Choice[] choices;
    private List<GenerationStream> streams = List.of();
    private int unfinishedPrompts;
    private TokenUsage usage = TokenUsage.NONE;
    /** Releases the exchange's bookkeeping once every prompt's engine request has said what it used. */
    private Runnable settled = () -> { };

    private static final class Choice {
        final StringBuilder text = new StringBuilder();
        Logprobs.Legacy logprobs;
        String finishReason;
        boolean echoed;
    }

    LocalCompletionRun(Exchange exchange, CompletionRequest request, List<PreparedPrompt> prompts, String fingerprint,
                       LocalOutput output) {
        this.exchange = exchange;
        this.request = request;
        this.prompts = List.copyOf(prompts);
        this.fingerprint = fingerprint;
        this.output = output;
        this.choices = new Choice[prompts.size() * request.n()];
        for (int i = 0; i < choices.length; i++) {
            choices[i] = new Choice();
            if (request.logprobs() >= 0) {
                choices[i].logprobs = new Logprobs.Legacy(request.logprobs());
            }
        }
    }

    /**
     * The engine accepted every prompt: from now on their events, those already held included, come here. The
     * exchange's bookkeeping waits until every prompt's request has ended and said what it used, also when the
     * client left or one prompt failed the response early.
     */
    void start(List<GenerationStream> submitted, EngineEventGate gate) {
        streams = List.copyOf(submitted);
        unfinishedPrompts = prompts.size();
        settled = exchange.holdSettlement();
        exchange.onClientGone(this::cancelAll);
        gate.attach(this::on);
    }

    private void cancelAll() {
        output.cancel();
        streams.forEach(GenerationStream::cancel);
    }

    private void on(int prompt, TokenEvent event) {
        switch (event) {
            case TokenEvent.Finished f -> ended(f.usage(), null);
            case TokenEvent.Failed f -> ended(f.usage(), f);
            default -> {
                if (exchange.isDone()) {
                    return;
                }
                switch (event) {
                    case TokenEvent.Scheduled s -> {
                        exchange.log().queueNanos = Math.max(exchange.log().queueNanos, s.queueNanos());
                        output.start(() -> { });
                    }
                    case TokenEvent.Token t -> token(prompt, t);
                    case TokenEvent.ChoiceFinished f -> choiceFinished(prompt, f);
                    default -> throw new IllegalStateException("unexpected event " + event);
                }
            }
        }
    }

    /** One prompt's request ended ({@code failure} null when it finished): its usage counts whatever happened. */
    private void ended(Usage used, TokenEvent.Failed failure) {
        usage = usage.plus(LocalOutput.usageOf(used));
        boolean last = --unfinishedPrompts == 0;
        if (last) {
            output.recordUsage(usage);
            settled.run();
        }
        if (exchange.isDone()) {
            return;
        }
        if (failure != null) {
            cancelAll(); // the other prompts' requests too: the response fails as a whole
            output.fail(failure.error());
        } else if (last) {
            finished();
        }
    }

    private void token(int prompt, TokenEvent.Token t) {
        output.start(() -> { });
        int index = prompt * request.n() + t.choice();
        Choice c = choices[index];
        output.markToken();
        String echo = echo(prompt, c);
        int offset = c.text.length() + echo.length();
        c.text.append(echo).append(t.text());
        if (!request.stream()) {
            if (c.logprobs != null && t.logprob() != null) {
                c.logprobs.add(t.logprob(), offset);
            }
            return;
        }
        ObjectNode lp = c.logprobs != null && t.logprob() != null
                ? Logprobs.Legacy.single(t.logprob(), request.logprobs(), offset) : null;
        output.send(chunk(index, echo + t.text(), lp, null));
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
        output.start(() -> { });
        int index = prompt * request.n() + f.choice();
        Choice c = choices[index];
        String echo = echo(prompt, c);
        c.text.append(echo);
        c.finishReason = f.reason().wireName();
        if (request.stream()) {
            output.send(chunk(index, echo, null, c.finishReason));
        }
    }

    private void finished() {
        output.finish(usage, this::base, () -> {
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
            return body;
        });
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
        LocalOutput.choiceTail(o, choice, logprobs, finishReason, request.includeUsage());
        return o;
    }
}
