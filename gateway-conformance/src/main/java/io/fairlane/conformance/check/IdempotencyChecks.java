package io.fairlane.conformance.check;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.wire.Exchange;
import java.util.List;
import java.util.Optional;

/**
 * {@code Idempotency-Key}: the same key with the same body returns the stored response; the same key
 * with another body is a 400 (a 409 would be retried by the SDKs, over and over).
 */
final class IdempotencyChecks {

    static final String HEADER = "Idempotency-Key";

    private IdempotencyChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("idempotency.replay", Suite.IDEMPOTENCY,
                        "the same Idempotency-Key with the same body returns the stored response",
                        IdempotencyChecks::replay),
                new Check("idempotency.conflict", Suite.IDEMPOTENCY,
                        "the same Idempotency-Key with another body gets 400, not 409", IdempotencyChecks::conflict));
    }

    private static String key(CheckContext context) {
        return "fairlane-conformance-" + context.runId();
    }

    private static ObjectNode body(CheckContext context, String topic) {
        // Sampled (temperature 1, no seed): two fresh answers would differ, so equality proves the replay.
        ObjectNode body = context.chatBody("Write a short line about " + topic + ".");
        body.put("temperature", 1.0);
        return body;
    }

    private static Exchange first(CheckContext context) {
        return context.once("idempotency-first", () -> context.probe()
                .post("first request with an Idempotency-Key", "chat/completions", body(context, "rivers"))
                .header(HEADER, key(context)).send());
    }

    private static void replay(CheckContext context, Findings findings) {
        Exchange first = first(context);
        Exchange second = context.probe().post("same key, same body", "chat/completions", body(context, "rivers"))
                .header(HEADER, key(context)).send();
        Optional<JsonNode> a = CheckContext.okJson(first, findings);
        Optional<JsonNode> b = CheckContext.okJson(second, findings);
        if (a.isEmpty() || b.isEmpty()) {
            return;
        }
        if (findings.require(a.get().equals(b.get()), "the replay is not the stored response (id " + a.get().path("id")
                + " then " + b.get().path("id") + ")", second)) {
            findings.observe("the replay returns the stored response, id " + a.get().path("id"), second);
        }
    }

    private static void conflict(CheckContext context, Findings findings) {
        Exchange first = first(context);
        if (CheckContext.okJson(first, findings).isEmpty()) {
            return;
        }
        Exchange other = context.probe().post("same key, another body", "chat/completions", body(context, "mountains"))
                .header(HEADER, key(context)).send();
        if (findings.require(other.status() == 400, "the same key with another body answered "
                + other.transportError().orElse("status " + other.status()) + ", not 400", other)) {
            findings.require(CheckContext.errorObject(other).isPresent(), "the 400 has no error object", other);
            if (!findings.failed()) {
                findings.observe("400 " + CheckContext.compact(CheckContext.errorObject(other).get()), other);
            }
        }
    }
}
