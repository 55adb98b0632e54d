package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.StreamAssembly;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/** Chat completion basics and the sampling parameters clients rely on: n, stop, logprobs and seed. */
final class ChatChecks {

    static final int TOP_LOGPROBS = 2;

    private ChatChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("chat.completion", Suite.CHAT,
                        "a plain completion has choice 0 with an assistant message and a finish_reason",
                        ChatChecks::completion),
                new Check("chat.n-choices", Suite.CHAT,
                        "n=2 yields choices with indexes 0 and 1, streamed and not", ChatChecks::nChoices),
                new Check("chat.stop", Suite.CHAT,
                        "a stop sequence taken from the model's own output cuts it there, streamed and not",
                        ChatChecks::stop),
                new Check("chat.logprobs", Suite.CHAT,
                        "logprobs with top_logprobs=2 have the documented shape, streamed and not",
                        ChatChecks::logprobs),
                new Check("chat.seed", Suite.CHAT,
                        "the same seed at temperature 1 gives the same text twice", ChatChecks::seed));
    }

    private static void completion(CheckContext context, Findings findings) {
        Exchange exchange = context.chat();
        CheckContext.okJson(exchange, findings).ifPresent(json -> {
            JsonNode choices = json.path("choices");
            if (!choices.isArray() || choices.isEmpty()) {
                findings.fail("choices is " + choices + ", not a non-empty list", exchange);
                return;
            }
            JsonNode choice = choices.get(0);
            findings.require(choice.path("index").isIntegralNumber() && choice.path("index").asInt() == 0,
                    "choices[0].index is " + choice.path("index"), exchange);
            findings.require("assistant".equals(choice.path("message").path("role").asText(null)),
                    "choices[0].message.role is " + choice.path("message").path("role"), exchange);
            findings.require(choice.path("message").path("content").isTextual(),
                    "choices[0].message.content is " + choice.path("message").path("content") + ", not a string",
                    exchange);
            findings.require(StreamChecks.FINISH_REASONS.contains(choice.path("finish_reason").asText("")),
                    "choices[0].finish_reason is " + choice.path("finish_reason"), exchange);
            if (!findings.failed()) {
                findings.observe("choice 0: " + compact(choice), exchange);
            }
        });
    }

    private static void nChoices(CheckContext context, Findings findings) {
        ObjectNode body = context.plainChatBody();
        body.put("n", 2);
        Exchange plain = context.probe().post("n=2, not streamed", "chat/completions", body).send();
        if (CheckContext.refusesParameter(plain, "n")) {
            throw new NotApplicable("the server refuses n > 1 with a 400 naming 'n'");
        }
        CheckContext.okJson(plain, findings).ifPresent(json -> {
            List<Integer> indexes = new ArrayList<>();
            json.path("choices").forEach(c -> indexes.add(c.path("index").asInt(-1)));
            if (findings.require(indexes.equals(List.of(0, 1)),
                    "not streamed: choice indexes are " + indexes + ", not [0, 1]", plain)) {
                findings.observe("not streamed: choices 0 and 1", plain);
            }
        });
        ObjectNode streamBody = body.deepCopy();
        streamBody.put("stream", true);
        Exchange streamed = context.probe().post("n=2, streamed", "chat/completions", streamBody).send();
        CheckContext.okStream(streamed, findings).ifPresent(stream -> {
            Set<Integer> indexes = new TreeSet<>(stream.choices().keySet());
            findings.require(indexes.equals(Set.of(0, 1)),
                    "streamed: chunk choice indexes are " + indexes + ", not {0, 1}", streamed);
            for (StreamAssembly.Choice choice : stream.choices().values()) {
                findings.require("assistant".equals(choice.firstDelta().path("role").asText(null)),
                        "streamed: choice " + choice.index() + " does not open with role assistant", streamed);
                findings.require(choice.finishReasons().size() == 1,
                        "streamed: choice " + choice.index() + " has finish_reasons " + choice.finishReasons(),
                        streamed);
            }
            if (!findings.failed()) {
                findings.observe("streamed: choices 0 and 1, each opened and finished once", streamed);
            }
        });
    }

    private static void stop(CheckContext context, Findings findings) {
        ObjectNode body = context.chatBody("Count from one to twenty in words, separated by spaces.");
        body.put("temperature", 0);
        body.put("seed", 11);
        body.put("max_tokens", 40);
        Exchange reference = context.probe().post("reference output to take a stop sequence from",
                "chat/completions", body).send();
        Optional<JsonNode> json = CheckContext.okJson(reference, findings);
        if (json.isEmpty()) {
            return;
        }
        String text = json.get().path("choices").path(0).path("message").path("content").asText("");
        String stop = pickStop(text).orElseThrow(() -> new NotApplicable(
                "the model's reference output (" + text.length() + " chars) is too short to take a stop sequence from"));
        String expected = text.substring(0, text.indexOf(stop));
        ObjectNode stopped = body.deepCopy();
        stopped.putArray("stop").add(stop);
        Exchange plain = context.probe().post("stop sequence taken from the reference output", "chat/completions",
                stopped).send();
        CheckContext.okJson(plain, findings).ifPresent(result -> {
            JsonNode choice = result.path("choices").path(0);
            verifyStop(choice.path("message").path("content").asText(""), choice.path("finish_reason").asText(null),
                    stop, expected, "not streamed", plain, findings);
        });
        ObjectNode streamedBody = stopped.deepCopy();
        streamedBody.put("stream", true);
        Exchange streamed = context.probe().post("stop sequence, streamed", "chat/completions", streamedBody).send();
        CheckContext.okStream(streamed, findings).ifPresent(stream -> {
            StreamAssembly.Choice choice = stream.choices().get(0);
            if (choice == null) {
                findings.fail("streamed: no choice 0", streamed);
                return;
            }
            verifyStop(choice.content(), choice.finishReasons().isEmpty() ? null : choice.finishReasons().getFirst(),
                    stop, expected, "streamed", streamed, findings);
        });
    }

    private static void verifyStop(String content, String finishReason, String stop, String expected, String mode,
            Exchange exchange, Findings findings) {
        String shown = "'" + stop.replace("\n", "\\n") + "'";
        if (content.contains(stop)) {
            findings.fail(mode + ": the output still contains the stop sequence " + shown + ": "
                    + Evidence.shorten(content, 200), exchange);
        } else if (content.equals(expected)) {
            if (findings.require("stop".equals(finishReason),
                    mode + ": cut at " + shown + " but finish_reason is " + finishReason, exchange)) {
                findings.observe(mode + ": cut before " + shown + " with finish_reason stop", exchange);
            }
        } else {
            findings.observe(mode + ": output differs from the reference (not deterministic at temperature 0);"
                    + " verified only that " + shown + " is absent", exchange);
        }
    }

    /** A short stop sequence from the second half of {@code text} whose first occurrence is not at the start. */
    static Optional<String> pickStop(String text) {
        for (int start = text.length() / 2; start + 3 <= text.length(); start++) {
            String candidate = text.substring(start, start + 3);
            if (!candidate.isBlank() && !Character.isWhitespace(candidate.charAt(0)) && text.indexOf(candidate) > 0) {
                return Optional.of(candidate);
            }
        }
        return Optional.empty();
    }

    private static void logprobs(CheckContext context, Findings findings) {
        ObjectNode body = context.plainChatBody();
        body.put("logprobs", true);
        body.put("top_logprobs", TOP_LOGPROBS);
        Exchange plain = context.probe().post("logprobs, not streamed", "chat/completions", body).send();
        if (CheckContext.refusesParameter(plain, "logprobs", "top_logprobs")) {
            throw new NotApplicable("the server refuses logprobs with a 400 naming the parameter");
        }
        CheckContext.okJson(plain, findings).ifPresent(json -> {
            JsonNode logprobs = json.path("choices").path(0).path("logprobs");
            JsonNode content = logprobs.path("content");
            if (!content.isArray() || content.isEmpty()) {
                findings.fail("not streamed: logprobs were asked for but choices[0].logprobs is " + compact(logprobs),
                        plain);
                return;
            }
            List<JsonNode> entries = new ArrayList<>();
            content.forEach(entries::add);
            verifyEntries(entries, "not streamed", plain, findings);
        });
        ObjectNode streamBody = body.deepCopy();
        streamBody.put("stream", true);
        Exchange streamed = context.probe().post("logprobs, streamed", "chat/completions", streamBody).send();
        CheckContext.okStream(streamed, findings).ifPresent(stream -> {
            StreamAssembly.Choice choice = stream.choices().get(0);
            if (choice == null || choice.logprobContent().isEmpty()) {
                findings.fail("streamed: logprobs were asked for but no chunk carries logprobs.content", streamed);
                return;
            }
            verifyEntries(choice.logprobContent(), "streamed", streamed, findings);
        });
    }

    private static void verifyEntries(List<JsonNode> entries, String mode, Exchange exchange, Findings findings) {
        int before = findings.failures().size();
        for (int i = 0; i < entries.size() && findings.failures().size() - before < 3; i++) {
            JsonNode entry = entries.get(i);
            String where = mode + ": logprobs.content[" + i + "]";
            verifyToken(entry, where, exchange, findings);
            JsonNode top = entry.path("top_logprobs");
            if (!top.isArray() || top.isEmpty() || top.size() > TOP_LOGPROBS) {
                findings.fail(where + ".top_logprobs has " + (top.isArray() ? top.size() + " entries" : top.toString())
                        + " for top_logprobs=" + TOP_LOGPROBS, exchange, compact(entry));
                continue;
            }
            for (int k = 0; k < top.size(); k++) {
                verifyToken(top.get(k), where + ".top_logprobs[" + k + "]", exchange, findings);
            }
        }
        if (findings.failures().size() == before) {
            findings.observe(mode + ": " + entries.size() + " well-formed entries, e.g. " + compact(entries.getFirst()),
                    exchange);
        }
    }

    private static void verifyToken(JsonNode entry, String where, Exchange exchange, Findings findings) {
        findings.require(entry.path("token").isTextual(), where + ".token is " + entry.path("token"), exchange);
        JsonNode logprob = entry.path("logprob");
        findings.require(logprob.isNumber() && logprob.asDouble() <= 0.0,
                where + ".logprob is " + logprob + " (a log probability is a number <= 0)", exchange);
        JsonNode bytes = entry.get("bytes");
        boolean bytesOk = bytes != null && (bytes.isNull() || bytes.isArray());
        if (bytesOk && bytes.isArray()) {
            for (JsonNode b : bytes) {
                bytesOk &= b.isIntegralNumber() && b.asInt() >= 0 && b.asInt() <= 255;
            }
        }
        findings.require(bytesOk, where + ".bytes is " + bytes + " (a list of byte values or null)", exchange);
    }

    private static void seed(CheckContext context, Findings findings) {
        ObjectNode body = context.chatBody("Invent a name for a small boat.");
        body.put("temperature", 1.0);
        body.put("seed", 4242);
        body.put("max_tokens", 16);
        Exchange first = context.probe().post("seeded sample, first", "chat/completions", body).send();
        Exchange second = context.probe().post("seeded sample, second", "chat/completions", body).send();
        Optional<JsonNode> a = CheckContext.okJson(first, findings);
        Optional<JsonNode> b = CheckContext.okJson(second, findings);
        if (a.isEmpty() || b.isEmpty()) {
            return;
        }
        String textA = a.get().path("choices").path(0).path("message").path("content").asText("");
        String textB = b.get().path("choices").path(0).path("message").path("content").asText("");
        if (findings.require(textA.equals(textB), "the same seed gave different texts: '" + Evidence.shorten(textA, 120)
                + "' and '" + Evidence.shorten(textB, 120) + "'", second)) {
            findings.observe("both samples read '" + Evidence.shorten(textA, 120) + "'", second);
        }
    }
}
