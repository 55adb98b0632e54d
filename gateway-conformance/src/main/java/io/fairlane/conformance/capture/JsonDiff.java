package io.fairlane.conformance.capture;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Compares two JSON responses field by field, the way a migration needs it: identifiers and timestamps
 * are ignored (every server mints its own), generated text and token counts are compared only when the
 * request made them reproducible, and everything a client branches on (object, role, finish_reason,
 * indexes, tool names, error type and code, list lengths) is compared exactly.
 */
final class JsonDiff {

    /** Fields every server fills with its own values. */
    static final Set<String> IGNORED = Set.of("id", "created", "system_fingerprint", "obfuscation", "service_tier",
            "x_groq", "request_id");

    /** Fields whose values are generated text or depend on the tokenizer: compared only when deterministic. */
    static final Set<String> GENERATED = Set.of("content", "refusal", "arguments", "text", "embedding", "logprobs",
            "message", "usage", "reasoning_content", "reasoning");

    /** Fields whose value differences are worth a note but not a failure. */
    static final Set<String> NOTED = Set.of("model");

    private static final double NUMBER_TOLERANCE = 1e-4;

    private final boolean deterministic;
    private final List<Difference> differences = new ArrayList<>();

    private JsonDiff(boolean deterministic) {
        this.deterministic = deterministic;
    }

    static List<Difference> compare(JsonNode captured, JsonNode replayed, boolean deterministic) {
        JsonDiff diff = new JsonDiff(deterministic);
        diff.node("$", null, captured, replayed, false);
        return List.copyOf(diff.differences);
    }

    private void node(String path, String field, JsonNode a, JsonNode b, boolean generated) {
        if (field != null && IGNORED.contains(field)) {
            return;
        }
        // "message" is generated text in an error body but a structured object in a chat choice.
        boolean inGenerated = generated || (field != null && GENERATED.contains(field)
                && !("message".equals(field) && a.isObject()));
        boolean compareValues = !inGenerated || deterministic;
        if (a.getNodeType() != b.getNodeType()) {
            if (a.isNumber() && b.isNumber()) {
                number(path, field, a, b, compareValues);
                return;
            }
            Difference.Severity severity = a.isNull() || b.isNull() ? Difference.Severity.NOTE
                    : Difference.Severity.DIFFERENCE;
            if (a.isNull() != b.isNull() && inGenerated && !deterministic && (a.isTextual() || b.isTextual())) {
                severity = Difference.Severity.DIFFERENCE; // text where the capture had none (or vice versa)
            }
            add(path, Difference.Kind.TYPE, severity, a, b);
            return;
        }
        switch (a.getNodeType()) {
            case OBJECT -> object(path, a, b, inGenerated);
            case ARRAY -> array(path, field, a, b, inGenerated);
            case NUMBER -> number(path, field, a, b, compareValues);
            case STRING -> {
                if ("arguments".equals(field) && !deterministic) {
                    argumentKeys(path, a.asText(), b.asText());
                } else if (compareValues && !a.asText().equals(b.asText())) {
                    add(path, Difference.Kind.VALUE, NOTED.contains(field) ? Difference.Severity.NOTE
                            : Difference.Severity.DIFFERENCE, a, b);
                }
            }
            case BOOLEAN -> {
                if (compareValues && a.asBoolean() != b.asBoolean()) {
                    add(path, Difference.Kind.VALUE, Difference.Severity.DIFFERENCE, a, b);
                }
            }
            default -> {
            }
        }
    }

    private void object(String path, JsonNode a, JsonNode b, boolean generated) {
        Set<String> names = new TreeSet<>();
        a.fieldNames().forEachRemaining(names::add);
        b.fieldNames().forEachRemaining(names::add);
        for (String name : names) {
            if (IGNORED.contains(name)) {
                continue;
            }
            String child = path + "." + name;
            JsonNode x = a.get(name);
            JsonNode y = b.get(name);
            if (x == null) {
                add(child, Difference.Kind.EXTRA, Difference.Severity.NOTE, null, y);
            } else if (y == null) {
                add(child, Difference.Kind.MISSING, x.isNull() ? Difference.Severity.NOTE
                        : Difference.Severity.DIFFERENCE, x, null);
            } else {
                node(child, name, x, y, generated);
            }
        }
    }

    private void array(String path, String field, JsonNode a, JsonNode b, boolean generated) {
        boolean lengthMatters = !generated || deterministic || "embedding".equals(field);
        if (a.size() != b.size()) {
            if (lengthMatters) {
                add(path, Difference.Kind.LENGTH, Difference.Severity.DIFFERENCE,
                        a.size() + " items", b.size() + " items");
            }
            if (generated && !deterministic) {
                return;
            }
        }
        if (generated && !deterministic && "embedding".equals(field)) {
            return; // the dimension is compared above; the values only when deterministic
        }
        int n = Math.min(a.size(), b.size());
        for (int i = 0; i < n; i++) {
            node(path + "[" + i + "]", null, a.get(i), b.get(i), generated);
        }
    }

    private void number(String path, String field, JsonNode a, JsonNode b, boolean compareValues) {
        if (!compareValues) {
            if (a.isIntegralNumber() != b.isIntegralNumber()) {
                add(path, Difference.Kind.TYPE, Difference.Severity.DIFFERENCE, a, b);
            }
            return;
        }
        if (a.isIntegralNumber() && b.isIntegralNumber()) {
            if (a.asLong() != b.asLong()) {
                add(path, Difference.Kind.VALUE, NOTED.contains(field) ? Difference.Severity.NOTE
                        : Difference.Severity.DIFFERENCE, a, b);
            }
        } else if (Math.abs(a.asDouble() - b.asDouble()) > NUMBER_TOLERANCE * Math.max(1.0, Math.abs(a.asDouble()))) {
            add(path, Difference.Kind.VALUE, Difference.Severity.DIFFERENCE, a, b);
        }
    }

    /** Tool arguments from a sampled run differ in values; their keys come from the schema and must match. */
    private void argumentKeys(String path, String a, String b) {
        Set<String> keysA = keys(a);
        Set<String> keysB = keys(b);
        if (keysA == null || keysB == null) {
            if ((keysA == null) != (keysB == null)) {
                add(path, Difference.Kind.VALUE, Difference.Severity.DIFFERENCE,
                        keysA == null ? "not a JSON object" : "keys " + keysA,
                        keysB == null ? "not a JSON object" : "keys " + keysB);
            }
            return;
        }
        if (!keysA.equals(keysB)) {
            add(path, Difference.Kind.VALUE, Difference.Severity.DIFFERENCE, "keys " + keysA, "keys " + keysB);
        }
    }

    private static Set<String> keys(String json) {
        try {
            JsonNode node = CaptureFormat.JSON.readTree(json);
            if (!(node instanceof ObjectNode object)) {
                return null;
            }
            Set<String> keys = new TreeSet<>();
            for (Iterator<String> it = object.fieldNames(); it.hasNext(); ) {
                keys.add(it.next());
            }
            return keys;
        } catch (java.io.IOException e) {
            return null;
        }
    }

    private void add(String path, Difference.Kind kind, Difference.Severity severity, Object a, Object b) {
        differences.add(new Difference(path, kind, severity, show(a), show(b)));
    }

    private static String show(Object value) {
        if (value == null) {
            return null;
        }
        String text = value.toString();
        return text.length() <= 200 ? text : text.substring(0, 197) + "...";
    }
}
