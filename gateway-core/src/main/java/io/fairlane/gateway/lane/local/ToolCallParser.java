package io.fairlane.gateway.lane.local;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.gateway.http.Json;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Finds tool calls in a model's streamed text, in the Hermes / Qwen format that their chat templates teach:
 * <pre>
 * &lt;tool_call&gt;
 * {"name": "get_weather", "arguments": {"city": "Paris"}}
 * &lt;/tool_call&gt;
 * </pre>
 * Text outside calls passes through as content, except that text which might be the start of an opening
 * tag is held back until it is known not to be. A call whose body is not a JSON object with a
 * {@code name} is passed through as plain text, so nothing the model wrote is lost. Whitespace next to
 * calls (the newlines templates put between them) is dropped.
 *
 * <p>One parser per choice. Confined to one thread.
 */
public final class ToolCallParser {

    static final String OPEN = "<tool_call>";
    static final String CLOSE = "</tool_call>";
    private static final char[] ID_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".toCharArray();

    /** A piece of parsed output. */
    public sealed interface Piece {
    }

    /** Content text. */
    public record Text(String text) implements Piece {
        @Override
        public String toString() {
            return "Text[" + text.length() + " chars]";
        }
    }

    /**
     * A complete tool call.
     *
     * @param index     0, 1, ... in the order the model wrote them
     * @param id        a fresh {@code call_...} id
     * @param name      the function name
     * @param arguments the arguments as a JSON string
     */
    public record Call(int index, String id, String name, String arguments) implements Piece {
        @Override
        public String toString() {
            return "Call[" + index + ", " + name + ", " + arguments.length() + " chars]";
        }
    }

    private final StringBuilder pending = new StringBuilder();
    private final StringBuilder heldWhitespace = new StringBuilder();
    private boolean inCall;
    private int calls;

    /** Feeds newly generated text; returns what can be emitted now. */
    public List<Piece> feed(String text) {
        List<Piece> out = new ArrayList<>(1);
        pending.append(text);
        while (true) {
            if (!inCall) {
                int open = pending.indexOf(OPEN);
                if (open >= 0) {
                    text(out, pending.substring(0, open));
                    pending.delete(0, open + OPEN.length());
                    inCall = true;
                    continue;
                }
                int keep = partialSuffix(pending, OPEN);
                text(out, pending.substring(0, pending.length() - keep));
                pending.delete(0, pending.length() - keep);
                return out;
            }
            int close = pending.indexOf(CLOSE);
            if (close < 0) {
                return out;
            }
            String body = pending.substring(0, close);
            pending.delete(0, close + CLOSE.length());
            inCall = false;
            call(out, body, true);
        }
    }

    /** The end of the choice: whatever is still held back. */
    public List<Piece> finish() {
        List<Piece> out = new ArrayList<>(1);
        if (inCall) {
            inCall = false;
            String body = pending.toString();
            pending.setLength(0);
            call(out, body, false);
            return out;
        }
        text(out, pending.toString());
        pending.setLength(0);
        if (calls == 0 && !heldWhitespace.isEmpty()) {
            out.add(new Text(heldWhitespace.toString()));
        }
        heldWhitespace.setLength(0);
        return out;
    }

    /** Calls found so far. */
    public int calls() {
        return calls;
    }

    private void text(List<Piece> out, String s) {
        if (s.isEmpty()) {
            return;
        }
        if (s.isBlank()) {
            heldWhitespace.append(s);
            return;
        }
        if (!heldWhitespace.isEmpty()) {
            s = heldWhitespace + s;
            heldWhitespace.setLength(0);
        }
        out.add(new Text(s));
    }

    /** Emits a call, or the raw text when the body is not a call; returns true for a call. */
    private boolean call(List<Piece> out, String body, boolean closed) {
        JsonNode node = null;
        try {
            node = Json.MAPPER.readTree(body.strip());
        } catch (JacksonException e) {
            // not JSON: passed through below
        }
        if (node != null && node.isObject() && node.path("name").isTextual()) {
            JsonNode args = node.has("arguments") ? node.get("arguments") : node.get("parameters");
            String arguments;
            if (args == null || args.isNull()) {
                arguments = "{}";
            } else if (args.isTextual()) {
                arguments = args.textValue();
            } else {
                arguments = Json.toString(args);
            }
            heldWhitespace.setLength(0);
            out.add(new Call(calls++, newId(), node.get("name").textValue(), arguments));
            return true;
        }
        text(out, OPEN + body + (closed ? CLOSE : ""));
        return false;
    }

    /** Length of the longest suffix of {@code s} that is a proper prefix of {@code tag}. */
    static int partialSuffix(CharSequence s, String tag) {
        int max = Math.min(s.length(), tag.length() - 1);
        for (int k = max; k > 0; k--) {
            boolean match = true;
            for (int i = 0; i < k; i++) {
                if (s.charAt(s.length() - k + i) != tag.charAt(i)) {
                    match = false;
                    break;
                }
            }
            if (match) {
                return k;
            }
        }
        return 0;
    }

    /** {@code call_} and 24 random letters and digits, the shape of OpenAI's call ids. */
    public static String newId() {
        ThreadLocalRandom r = ThreadLocalRandom.current();
        char[] c = new char[24];
        for (int i = 0; i < c.length; i++) {
            c[i] = ID_CHARS[r.nextInt(ID_CHARS.length)];
        }
        return "call_" + new String(c);
    }
}
