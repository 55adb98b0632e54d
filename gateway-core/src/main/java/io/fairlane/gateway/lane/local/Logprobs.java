package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.engine.TokenEvent;
import io.fairlane.gateway.http.Json;

/**
 * Log probabilities in OpenAI's two wire shapes: chat's list of entries
 * ({@code {"token","logprob","bytes","top_logprobs":[...]}}) and legacy completions' parallel arrays
 * ({@code tokens}, {@code token_logprobs}, {@code top_logprobs} as token→logprob maps, {@code text_offset}).
 */
public final class Logprobs {

    private Logprobs() {
    }

    /** One chat logprob entry. */
    public static ObjectNode chatEntry(TokenEvent.TokenLogprob lp, int topCount) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        e.put("token", lp.token());
        e.put("logprob", lp.logprob());
        e.set("bytes", bytes(lp.bytes()));
        ArrayNode top = e.putArray("top_logprobs");
        int n = Math.min(topCount, lp.top().size());
        for (int i = 0; i < n; i++) {
            TokenEvent.Alternative a = lp.top().get(i);
            ObjectNode t = top.addObject();
            t.put("token", a.token());
            t.put("logprob", a.logprob());
            t.set("bytes", bytes(a.bytes()));
        }
        return e;
    }

    private static ArrayNode bytes(byte[] b) {
        ArrayNode arr = Json.MAPPER.createArrayNode();
        if (b != null) {
            for (byte x : b) {
                arr.add(x & 0xff);
            }
        }
        return arr;
    }

    /** Accumulates the legacy shape for one choice. */
    public static final class Legacy {
        private final ObjectNode node = Json.MAPPER.createObjectNode();
        private final ArrayNode tokens = node.putArray("tokens");
        private final ArrayNode tokenLogprobs = node.putArray("token_logprobs");
        private final ArrayNode topLogprobs = node.putArray("top_logprobs");
        private final ArrayNode textOffset = node.putArray("text_offset");
        private final int topCount;

        public Legacy(int topCount) {
            this.topCount = topCount;
        }

        /** Adds a token that starts at {@code offset} characters into the choice's text. */
        public void add(TokenEvent.TokenLogprob lp, int offset) {
            tokens.add(lp.token());
            tokenLogprobs.add(lp.logprob());
            ObjectNode top = Json.MAPPER.createObjectNode();
            int n = Math.min(topCount, lp.top().size());
            for (int i = 0; i < n; i++) {
                top.put(lp.top().get(i).token(), lp.top().get(i).logprob());
            }
            if (n == 0) {
                top.put(lp.token(), lp.logprob());
            }
            topLogprobs.add(top);
            textOffset.add(offset);
        }

        public ObjectNode node() {
            return node;
        }

        /** A one-token fragment of the legacy shape, for a stream chunk. */
        public static ObjectNode single(TokenEvent.TokenLogprob lp, int topCount, int offset) {
            Legacy l = new Legacy(topCount);
            l.add(lp, offset);
            return l.node;
        }
    }
}
