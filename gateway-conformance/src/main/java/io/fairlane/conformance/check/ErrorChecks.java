package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;
import static io.fairlane.conformance.check.CheckContext.errorObject;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.RecordedResponse;
import io.fairlane.conformance.wire.SseEvent;
import io.fairlane.conformance.wire.SseTranscript;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * The error taxonomy: statuses, codes and the {@code param} that SDKs surface, the retry headers that
 * decide whether an SDK retries, and errors that happen after a stream began.
 */
final class ErrorChecks {

    private ErrorChecks() {
    }

    /** The per-status checks, run in the errors suite's place. */
    static List<Check> statuses() {
        return List.of(
                new Check("errors.401", Suite.ERRORS,
                        "an invalid API key gets 401 with code invalid_api_key", ErrorChecks::unauthorized),
                new Check("errors.404-model", Suite.ERRORS,
                        "an unknown model gets 404 with code model_not_found", ErrorChecks::unknownModel),
                new Check("errors.400-param", Suite.ERRORS,
                        "an invalid parameter gets 400 invalid_request_error naming it in param",
                        ErrorChecks::invalidParameter),
                new Check("errors.413", Suite.ERRORS,
                        "an oversized body gets 413 with an error body", ErrorChecks::oversized),
                new Check("errors.429", Suite.ERRORS,
                        "a rate-limited tenant gets 429 rate_limit_exceeded with retry-after and x-ratelimit-*",
                        ErrorChecks::rateLimited),
                new Check("errors.mid-stream", Suite.ERRORS,
                        "an error after streaming began is a final 'data: {\"error\":...}' event, then close",
                        ErrorChecks::midStream));
    }

    /** Checks over every error the run saw; they run after all others. */
    static List<Check> observers() {
        return List.of(
                new Check("errors.should-retry", Suite.ERRORS,
                        "x-should-retry is false for insufficient_quota and never true on a non-retryable 4xx",
                        ErrorChecks::shouldRetry),
                new Check("errors.envelope", Suite.ERRORS,
                        "every error body has error.message, type, param and code (null allowed, absent not)",
                        ErrorChecks::envelope));
    }

    private static void expectError(Exchange exchange, int status, String code, Findings findings) {
        if (!findings.require(exchange.status() == status, exchange.purpose() + ": expected " + status + ", got "
                + exchange.transportError().orElse(String.valueOf(exchange.status())), exchange)) {
            return;
        }
        Optional<JsonNode> error = errorObject(exchange);
        if (error.isEmpty()) {
            findings.fail(exchange.purpose() + ": the body has no error object", exchange);
            return;
        }
        if (code != null && findings.require(code.equals(error.get().path("code").asText(null)),
                exchange.purpose() + ": error.code is " + error.get().path("code") + ", not '" + code + "'", exchange)) {
            findings.observe(exchange.purpose() + ": " + status + " " + compact(error.get()), exchange);
        }
    }

    private static void unauthorized(CheckContext context, Findings findings) {
        expectError(context.unauthorized(), 401, "invalid_api_key", findings);
        Exchange models = context.probe().get("list models with an invalid API key", "models")
                .apiKey(CheckContext.INVALID_KEY).send();
        expectError(models, 401, "invalid_api_key", findings);
        Exchange none = context.probe().post("chat completion without an API key", "chat/completions",
                context.plainChatBody()).apiKey(null).send();
        findings.require(none.status() == 401, none.purpose() + ": expected 401, got "
                + none.transportError().orElse(String.valueOf(none.status())), none);
    }

    private static void unknownModel(CheckContext context, Findings findings) {
        expectError(context.unknownModel(), 404, "model_not_found", findings);
    }

    private static void invalidParameter(CheckContext context, Findings findings) {
        ObjectNode hot = context.plainChatBody();
        hot.put("temperature", 7);
        expectParam(context.probe().post("temperature out of range", "chat/completions", hot).send(), "temperature",
                findings);
        ObjectNode noMessages = context.plainChatBody();
        noMessages.remove("messages");
        expectParam(context.probe().post("messages missing", "chat/completions", noMessages).send(), "messages",
                findings);
    }

    private static void expectParam(Exchange exchange, String param, Findings findings) {
        if (!findings.require(exchange.status() == 400, exchange.purpose() + ": expected 400, got "
                + exchange.transportError().orElse(String.valueOf(exchange.status())), exchange)) {
            return;
        }
        Optional<JsonNode> error = errorObject(exchange);
        if (error.isEmpty()) {
            findings.fail(exchange.purpose() + ": the body has no error object", exchange);
            return;
        }
        boolean ok = findings.require("invalid_request_error".equals(error.get().path("type").asText(null)),
                exchange.purpose() + ": error.type is " + error.get().path("type"), exchange);
        String named = error.get().path("param").asText(null);
        ok &= findings.require(named != null && (named.equals(param) || named.startsWith(param + ".")
                        || named.startsWith(param + "[")),
                exchange.purpose() + ": error.param is " + error.get().path("param") + ", not '" + param + "'",
                exchange);
        if (ok) {
            findings.observe(exchange.purpose() + ": " + compact(error.get()), exchange);
        }
    }

    private static void oversized(CheckContext context, Findings findings) {
        long size = context.options().oversizedBodyBytes();
        if (size == 0) {
            throw new NotApplicable("--oversized-body-bytes 0 skips this check");
        }
        if (size > Integer.MAX_VALUE - 1024) {
            throw new NotApplicable("--oversized-body-bytes " + size + " is larger than one request can carry here");
        }
        byte[] body = oversizedBody(context.options().model(), (int) size);
        Exchange exchange = context.probe().call("body of " + body.length + " bytes", "POST", "chat/completions")
                .rawBody(body, "application/json").expectContinue().ownConnection().send();
        if (exchange.status() == 413) {
            if (findings.require(errorObject(exchange).isPresent(), "413 without an error object in the body",
                    exchange)) {
                findings.observe("413 " + compact(errorObject(exchange).get()), exchange);
            }
            return;
        }
        if (exchange.transportError().isPresent()) {
            findings.fail("a body of " + body.length + " bytes got no response (" + exchange.transportError().get()
                    + "): a server must answer 413 before it closes the connection (refuse before '100 Continue',"
                    + " or discard the body), else SDKs see a connection error and retry", exchange);
            return;
        }
        findings.fail("a body of " + body.length + " bytes answered status " + exchange.status() + ", not 413"
                + " (raise --oversized-body-bytes above the server's limit if it is larger)", exchange);
    }

    private static byte[] oversizedBody(String model, int size) {
        String head = "{\"model\":" + CheckContext.JSON.getNodeFactory().textNode(model)
                + ",\"messages\":[{\"role\":\"user\",\"content\":\"";
        String tail = "\"}]}";
        int fill = Math.max(0, size - head.length() - tail.length());
        byte[] bytes = new byte[head.length() + fill + tail.length()];
        byte[] headBytes = head.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(headBytes, 0, bytes, 0, headBytes.length);
        Arrays.fill(bytes, headBytes.length, headBytes.length + fill, (byte) 'a');
        byte[] tailBytes = tail.getBytes(StandardCharsets.UTF_8);
        System.arraycopy(tailBytes, 0, bytes, headBytes.length + fill, tailBytes.length);
        return bytes;
    }

    private static void rateLimited(CheckContext context, Findings findings) {
        String key = context.options().rateLimitKey()
                .orElseThrow(() -> new NotApplicable("no --rate-limit-key (a tenant with a tiny request limit) given"));
        ObjectNode body = context.chatBody("Say yes.");
        body.put("max_tokens", 1);
        Exchange limited = null;
        for (int i = 0; i < context.options().rateLimitAttempts() && limited == null; i++) {
            Exchange exchange = context.probe().post("request " + (i + 1) + " with the rate-limited key",
                    "chat/completions", body).apiKey(key).send();
            if (exchange.status() == 429) {
                limited = exchange;
            } else if (!exchange.ok()) {
                findings.fail("the rate-limited key got " + exchange.transportError().orElse("status " + exchange.status())
                        + " before any 429", exchange);
                return;
            }
        }
        if (limited == null) {
            findings.fail("no 429 after " + context.options().rateLimitAttempts() + " requests with --rate-limit-key",
                    null);
            return;
        }
        RecordedResponse response = limited.responseOrThrow();
        Optional<String> retryAfter = response.header("retry-after");
        findings.require(retryAfter.isPresent() && validRetryAfter(retryAfter.get()),
                "retry-after is " + retryAfter.map(v -> "'" + v + "'").orElse("absent")
                        + " (seconds or an HTTP date)", limited);
        for (String kind : List.of("limit", "remaining", "reset")) {
            boolean present = response.headers().keySet().stream().anyMatch(h -> h.startsWith("x-ratelimit-" + kind + "-"));
            findings.require(present, "no x-ratelimit-" + kind + "-requests or -tokens header", limited);
        }
        findings.require(!"false".equals(response.header("x-should-retry").orElse("")),
                "x-should-retry: false on a rate limit tells SDKs not to retry", limited);
        String code = errorObject(limited).map(e -> e.path("code").asText("")).orElse("");
        findings.require(code.equals("rate_limit_exceeded"), "error.code is '" + code + "', not rate_limit_exceeded",
                limited);
        if (!findings.failed()) {
            findings.observe("429 with retry-after " + retryAfter.get() + " and " + response.headers().keySet().stream()
                    .filter(h -> h.startsWith("x-ratelimit-")).collect(Collectors.joining(", ")), limited);
        }
    }

    static boolean validRetryAfter(String value) {
        String v = value.strip();
        if (v.matches("\\d+(\\.\\d+)?")) {
            return true;
        }
        try {
            ZonedDateTime.parse(v, DateTimeFormatter.RFC_1123_DATE_TIME);
            return true;
        } catch (DateTimeParseException e) {
            return false;
        }
    }

    private static void midStream(CheckContext context, Findings findings) {
        Optional<String> model = context.options().midStreamErrorModel();
        Map<String, String> headers = context.options().midStreamErrorHeaders();
        if (model.isEmpty() && headers.isEmpty()) {
            throw new NotApplicable("no --mid-stream-error-model or --mid-stream-error-header given to provoke one");
        }
        ObjectNode body = context.plainChatBody();
        body.put("stream", true);
        model.ifPresent(m -> body.put("model", m));
        Exchange exchange = context.once("mid-stream-error", () -> context.probe()
                .post("stream provoked to fail after it began", "chat/completions", body).headers(headers).send());
        if (!exchange.ok()) {
            findings.fail("the provoking stream answered " + exchange.transportError().orElse("status " + exchange.status())
                    + "; the error must come after streaming began", exchange);
            return;
        }
        SseTranscript sse = exchange.responseOrThrow().sse();
        List<SseEvent> events = sse.events();
        int errorAt = -1;
        for (int i = 0; i < events.size(); i++) {
            if (events.get(i).isError()) {
                errorAt = i;
                break;
            }
        }
        if (errorAt < 0) {
            findings.fail("the stream carries no 'data: {\"error\":...}' event (" + events.size() + " events; ends with "
                    + (events.isEmpty() ? "nothing" : events.getLast().data()) + ")", exchange);
            return;
        }
        findings.require(events.subList(0, errorAt).stream().anyMatch(SseEvent::isChunk),
                "no chunk precedes the error event, so the stream had not begun", exchange);
        findings.require(errorAt == events.size() - 1, (events.size() - 1 - errorAt)
                + " events follow the error event (the stream should close after it)", exchange);
        JsonNode error = events.get(errorAt).json().orElseThrow().path("error");
        findings.require(error.path("message").isTextual(), "the error event has no error.message", exchange);
        if (!findings.failed()) {
            findings.observe("error event after " + errorAt + " events, then close: " + compact(error), exchange);
        }
    }

    private static void shouldRetry(CheckContext context, Findings findings) {
        boolean judged = false;
        if (context.options().quotaKey().isPresent()) {
            Exchange exchange = context.probe().post("request with the key that has no quota", "chat/completions",
                    context.plainChatBody()).apiKey(context.options().quotaKey().get()).send();
            judged = true;
            if (findings.require(exchange.status() == 429, exchange.purpose() + ": expected 429, got "
                    + exchange.transportError().orElse(String.valueOf(exchange.status())), exchange)) {
                String code = errorObject(exchange).map(e -> e.path("code").asText("")).orElse("");
                findings.require(code.equals("insufficient_quota"),
                        exchange.purpose() + ": error.code is '" + code + "', not insufficient_quota", exchange);
                String header = exchange.responseOrThrow().header("x-should-retry").orElse("(absent)");
                if (findings.require(header.equals("false"), exchange.purpose() + ": x-should-retry is " + header
                        + "; SDKs retry a 429 unless told 'false'", exchange)) {
                    findings.observe(exchange.purpose() + ": 429 insufficient_quota with x-should-retry: false", exchange);
                }
            }
        }
        for (Exchange exchange : context.probe().exchanges()) {
            Optional<String> header = exchange.response().flatMap(r -> r.header("x-should-retry"));
            if (header.isEmpty()) {
                continue;
            }
            judged = true;
            String value = header.get().strip();
            int status = exchange.status();
            findings.require(value.equals("true") || value.equals("false"),
                    exchange.purpose() + ": x-should-retry is '" + value + "', not true or false", exchange);
            boolean retryable = status == 408 || status == 409 || status == 429 || status >= 500;
            findings.require(!(value.equals("true") && status >= 400 && !retryable),
                    exchange.purpose() + ": x-should-retry: true on a " + status + " makes SDKs repeat a request"
                            + " that cannot succeed", exchange);
        }
        if (!judged) {
            throw new NotApplicable("no --quota-key given and no response carried x-should-retry");
        }
        if (!findings.failed()) {
            findings.observe("every x-should-retry seen fits its status", null);
        }
    }

    private static void envelope(CheckContext context, Findings findings) {
        context.unauthorized();
        context.unknownModel();
        int seen = 0;
        for (Exchange exchange : context.probe().exchanges()) {
            if (exchange.response().isEmpty()) {
                continue;
            }
            if (exchange.status() >= 400) {
                seen++;
                Optional<JsonNode> body = exchange.responseOrThrow().json();
                verifyEnvelope(body.orElse(null), exchange.purpose() + " (" + exchange.status() + ")", exchange,
                        findings);
            } else if (exchange.ok() && exchange.responseOrThrow().isEventStream()) {
                for (SseEvent event : exchange.responseOrThrow().sse().events()) {
                    if (event.isError()) {
                        seen++;
                        verifyEnvelope(event.json().orElseThrow(), exchange.purpose() + " (error event)", exchange,
                                findings);
                    }
                }
            }
        }
        if (!findings.failed()) {
            findings.observe(seen + " error bodies, each with message, type, param and code", null);
        }
    }

    private static void verifyEnvelope(JsonNode body, String where, Exchange exchange, Findings findings) {
        if (body == null || !body.path("error").isObject()) {
            findings.fail(where + ": the body is not {\"error\": {...}}", exchange);
            return;
        }
        JsonNode error = body.get("error");
        List<String> problems = new java.util.ArrayList<>();
        if (!error.path("message").isTextual() || error.path("message").asText().isBlank()) {
            problems.add("message is " + (error.has("message") ? error.get("message") : "absent"));
        }
        if (!error.path("type").isTextual()) {
            problems.add("type is " + (error.has("type") ? error.get("type") : "absent"));
        }
        for (String key : List.of("param", "code")) {
            if (!error.has(key)) {
                problems.add(key + " is absent (send null)");
            } else if (!error.get(key).isNull() && !error.get(key).isTextual()) {
                problems.add(key + " is " + error.get(key) + ", not a string or null");
            }
        }
        if (!problems.isEmpty()) {
            findings.fail(where + ": " + String.join("; ", problems), exchange, compact(body));
        }
    }
}
