package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.gateway.http.Json;
import io.fairlane.gateway.openai.Usages;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;

/**
 * The body of an embeddings response: one {@code embedding} object per input, its vector as floats or, with
 * {@code encoding_format: base64}, little-endian float32 in base64. Grows with inputs × dimensions, so large ones
 * are written in the preparation pool.
 */
final class Embeddings {

    /** Floats up to which the body is written on the event loop (about 40 KB of JSON). */
    static final int INLINE_FLOATS = 4096;

    private Embeddings() {
    }

    /** How many floats the response carries. */
    static long floats(EmbeddingResult result) {
        long n = 0;
        for (float[] v : result.vectors()) {
            n += v.length;
        }
        return n;
    }

    static byte[] body(EmbeddingResult result, boolean base64, String model) {
        ObjectNode body = Json.MAPPER.createObjectNode();
        body.put("object", "list");
        ArrayNode data = body.putArray("data");
        for (int i = 0; i < result.vectors().size(); i++) {
            ObjectNode item = data.addObject();
            item.put("object", "embedding");
            item.put("index", i);
            float[] v = result.vectors().get(i);
            if (base64) {
                ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (float f : v) {
                    b.putFloat(f);
                }
                item.put("embedding", Base64.getEncoder().encodeToString(b.array()));
            } else {
                ArrayNode arr = item.putArray("embedding");
                for (float f : v) {
                    arr.add(f);
                }
            }
        }
        body.put("model", model);
        body.set("usage", Usages.embeddings(result.promptTokens()));
        try {
            return Json.MAPPER.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new UncheckedIOException(e);
        }
    }
}
