package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;
import static io.fairlane.conformance.check.CheckContext.isInteger;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.StreamAssembly;
import java.util.List;
import java.util.Optional;

/** Usage accounting: the opt-in usage chunk and integer counts that are never null. */
final class UsageChecks {

    private UsageChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("usage.stream-opt-in", Suite.USAGE,
                        "with stream_options.include_usage, one last chunk has choices [] and usage",
                        UsageChecks::optIn),
                new Check("usage.stream-default", Suite.USAGE,
                        "without the opt-in, no chunk carries usage or an empty choices list",
                        UsageChecks::noOptIn),
                new Check("usage.integers", Suite.USAGE,
                        "usage counts are integers, never null, incl. cached_tokens and reasoning_tokens",
                        UsageChecks::integers));
    }

    private static void optIn(CheckContext context, Findings findings) {
        Exchange exchange = context.streamChatWithUsage();
        Optional<StreamAssembly> stream = CheckContext.okStream(exchange, findings);
        if (stream.isEmpty()) {
            return;
        }
        List<Integer> usage = stream.get().usageChunks();
        List<JsonNode> chunks = stream.get().chunks();
        if (usage.isEmpty()) {
            findings.fail("include_usage was asked for but no chunk carries usage", exchange);
            return;
        }
        if (usage.size() > 1) {
            findings.fail(usage.size() + " chunks carry usage; exactly one should", exchange);
        }
        int position = usage.getLast();
        JsonNode chunk = chunks.get(position);
        JsonNode choices = chunk.get("choices");
        findings.require(choices != null && choices.isArray() && choices.isEmpty(),
                "the usage chunk's choices is " + (choices == null ? "absent" : choices.toString()) + ", not []",
                exchange);
        findings.require(position == chunks.size() - 1,
                "the usage chunk is chunk " + position + " of " + chunks.size() + ", not the last", exchange);
        if (!findings.failed()) {
            findings.observe("the last chunk carries usage with choices []: " + compact(chunk), exchange);
        }
    }

    private static void noOptIn(CheckContext context, Findings findings) {
        Exchange exchange = context.streamChat();
        Optional<StreamAssembly> stream = CheckContext.okStream(exchange, findings);
        if (stream.isEmpty()) {
            return;
        }
        for (int position : stream.get().usageChunks()) {
            findings.fail("chunk " + position + " carries usage without the opt-in", exchange,
                    compact(stream.get().chunks().get(position)));
        }
        for (int position : stream.get().emptyChoiceChunks()) {
            findings.fail("chunk " + position + " has choices [] without the opt-in (clients index choices[0])",
                    exchange, compact(stream.get().chunks().get(position)));
        }
        if (!findings.failed()) {
            findings.observe("no usage and no empty choices in " + stream.get().chunks().size() + " chunks", exchange);
        }
    }

    private static void integers(CheckContext context, Findings findings) {
        Exchange chat = context.chat();
        CheckContext.okJson(chat, findings).ifPresent(json -> verify(json.get("usage"), "chat completion", chat, findings));
        Exchange streamed = context.streamChatWithUsage();
        if (streamed.ok()) {
            StreamAssembly stream = StreamAssembly.of(streamed.responseOrThrow().sse().chunks());
            if (!stream.usageChunks().isEmpty()) {
                verify(stream.chunks().get(stream.usageChunks().getLast()).get("usage"), "usage chunk", streamed,
                        findings);
            }
        }
    }

    private static void verify(JsonNode usage, String where, Exchange exchange, Findings findings) {
        if (usage == null || !usage.isObject()) {
            findings.fail(where + ": usage is " + (usage == null ? "absent" : usage.toString()), exchange);
            return;
        }
        boolean ok = true;
        for (String field : List.of("prompt_tokens", "completion_tokens", "total_tokens")) {
            ok &= findings.require(isInteger(usage.get(field)) && usage.get(field).asLong() >= 0,
                    where + ": usage." + field + " is " + usage.get(field), exchange);
        }
        if (ok) {
            long total = usage.get("total_tokens").asLong();
            long sum = usage.get("prompt_tokens").asLong() + usage.get("completion_tokens").asLong();
            ok &= findings.require(total == sum,
                    where + ": total_tokens " + total + " is not prompt + completion (" + sum + ")", exchange);
        }
        JsonNode cached = usage.path("prompt_tokens_details").get("cached_tokens");
        ok &= findings.require(isInteger(cached) && cached.asLong() >= 0,
                where + ": usage.prompt_tokens_details.cached_tokens is " + (cached == null ? "absent" : cached)
                        + " (send 0 when nothing was cached)", exchange);
        if (isInteger(cached) && isInteger(usage.get("prompt_tokens"))) {
            ok &= findings.require(cached.asLong() <= usage.get("prompt_tokens").asLong(),
                    where + ": cached_tokens exceeds prompt_tokens", exchange);
        }
        JsonNode reasoning = usage.path("completion_tokens_details").get("reasoning_tokens");
        ok &= findings.require(isInteger(reasoning) && reasoning.asLong() >= 0,
                where + ": usage.completion_tokens_details.reasoning_tokens is "
                        + (reasoning == null ? "absent" : reasoning), exchange);
        if (ok) {
            findings.observe(where + ": " + compact(usage), exchange);
        }
    }
}
