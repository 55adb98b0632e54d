package io.fairlane.conformance.check;

import static io.fairlane.conformance.check.CheckContext.compact;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.wire.Exchange;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import java.util.List;
import java.util.Optional;

/**
 * Embeddings in both encodings. The Python and Node SDKs ask for base64 unless told otherwise and decode
 * little-endian float32, so base64 must decode to the same vector the float encoding returns.
 */
final class EmbeddingChecks {

    static final List<String> INPUTS = List.of("The quick brown fox", "jumps over the lazy dog");

    private EmbeddingChecks() {
    }

    static List<Check> all() {
        return List.of(
                new Check("embeddings.float", Suite.EMBEDDINGS,
                        "float embeddings: one item per input, index i, equal dimensions, also by default",
                        EmbeddingChecks::floats),
                new Check("embeddings.base64", Suite.EMBEDDINGS,
                        "base64 embeddings decode (little-endian float32) to the float vectors",
                        EmbeddingChecks::base64));
    }

    private static String model(CheckContext context) {
        return context.options().embeddingModel()
                .orElseThrow(() -> new NotApplicable("no --embedding-model given"));
    }

    private static Exchange request(CheckContext context, String encoding) {
        String model = model(context);
        return context.once("embeddings-" + encoding, () -> {
            ObjectNode body = CheckContext.JSON.createObjectNode();
            body.put("model", model);
            INPUTS.forEach(body.putArray("input")::add);
            if (!encoding.equals("default")) {
                body.put("encoding_format", encoding);
            }
            return context.probe().post("embeddings, encoding " + encoding, "embeddings", body).send();
        });
    }

    private static void floats(CheckContext context, Findings findings) {
        for (String encoding : List.of("float", "default")) {
            Exchange exchange = request(context, encoding);
            CheckContext.okJson(exchange, findings).ifPresent(json -> {
                JsonNode data = json.path("data");
                if (!data.isArray() || data.size() != INPUTS.size()) {
                    findings.fail(encoding + ": data has " + (data.isArray() ? data.size() : "no") + " items for "
                            + INPUTS.size() + " inputs", exchange);
                    return;
                }
                int dimensions = -1;
                for (int i = 0; i < data.size(); i++) {
                    JsonNode item = data.get(i);
                    findings.require(item.path("index").isIntegralNumber() && item.path("index").asInt() == i,
                            encoding + ": data[" + i + "].index is " + item.path("index"), exchange);
                    JsonNode vector = item.path("embedding");
                    boolean numeric = vector.isArray() && !vector.isEmpty();
                    for (JsonNode v : vector) {
                        numeric &= v.isNumber();
                    }
                    if (!findings.require(numeric, encoding + ": data[" + i + "].embedding is not a list of numbers",
                            exchange)) {
                        continue;
                    }
                    if (dimensions >= 0) {
                        findings.require(vector.size() == dimensions, encoding + ": data[" + i + "] has "
                                + vector.size() + " dimensions, data[0] " + dimensions, exchange);
                    }
                    dimensions = vector.size();
                }
                if (!findings.failed()) {
                    findings.observe(encoding + ": " + data.size() + " vectors of " + dimensions + " floats", exchange);
                }
            });
        }
    }

    private static void base64(CheckContext context, Findings findings) {
        Exchange floats = request(context, "float");
        Exchange encoded = request(context, "base64");
        Optional<JsonNode> floatJson = CheckContext.okJson(floats, findings);
        Optional<JsonNode> encodedJson = CheckContext.okJson(encoded, findings);
        if (floatJson.isEmpty() || encodedJson.isEmpty()) {
            return;
        }
        for (int i = 0; i < INPUTS.size(); i++) {
            JsonNode expected = floatJson.get().path("data").path(i).path("embedding");
            JsonNode actual = encodedJson.get().path("data").path(i).path("embedding");
            String where = "data[" + i + "]";
            if (!actual.isTextual()) {
                findings.fail(where + ".embedding is " + compact(actual) + ", not a base64 string", encoded);
                continue;
            }
            byte[] bytes;
            try {
                bytes = Base64.getDecoder().decode(actual.asText());
            } catch (IllegalArgumentException e) {
                findings.fail(where + ".embedding is not valid base64: " + e.getMessage(), encoded);
                continue;
            }
            if (bytes.length % 4 != 0 || bytes.length / 4 != expected.size()) {
                findings.fail(where + ": " + bytes.length + " bytes decode to " + bytes.length / 4.0
                        + " float32 values, the float response has " + expected.size(), encoded);
                continue;
            }
            ByteBuffer buffer = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
            for (int k = 0; k < expected.size(); k++) {
                float decoded = buffer.getFloat();
                double want = expected.get(k).asDouble();
                if (Math.abs(decoded - want) > 1e-6 * Math.max(1.0, Math.abs(want))) {
                    findings.fail(where + "[" + k + "] decodes (little-endian float32) to " + decoded
                            + ", the float response says " + want, encoded);
                    break;
                }
            }
        }
        if (!findings.failed()) {
            findings.observe("both vectors decode to the float response's values", encoded);
        }
    }
}
