package io.fairlane.gateway.lane.local;

import io.fairlane.engine.OutputConstraint;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads one choice's output of a forced tool call as it streams. The engine constrained that output to
 * {@link OutputConstraint.ToolCall}'s exact shape, {@code {"name": "NAME", "arguments": ARGS}}, so no parsing
 * guesswork is needed: once the name is complete the call starts (with a fresh {@code call_} id), then the
 * arguments object streams through as it is generated, and the closing brace of the wrapper is dropped. A call
 * cut short by {@code max_tokens} keeps what its arguments had reached.
 *
 * <p>One per choice; confined to one thread.
 */
public final class ForcedToolCall {

    /** What the output revealed. */
    public sealed interface Event {
    }

    /** The call's name is known: its first delta. */
    public record Started(String id, String name) implements Event {
    }

    /** More of the arguments' JSON text. */
    public record Arguments(String fragment) implements Event {
        @Override
        public String toString() {
            return "Arguments[" + fragment.length() + " chars]";
        }
    }

    private final StringBuilder head = new StringBuilder();
    private final StringBuilder arguments = new StringBuilder();
    private String id;
    private String name;
    private int depth;
    private boolean inString;
    private boolean escaped;
    private boolean complete;

    /** Feeds newly generated text; returns what it revealed. */
    public List<Event> feed(String text) {
        List<Event> out = new ArrayList<>(2);
        String rest = text;
        if (name == null) {
            head.append(text);
            int from = OutputConstraint.ToolCall.NAME_PREFIX.length();
            int end = head.length() < from ? -1 : head.indexOf(OutputConstraint.ToolCall.ARGUMENTS_PREFIX, from);
            if (end < 0) {
                return out;
            }
            name = head.substring(from, end);
            id = ToolCallParser.newId();
            out.add(new Started(id, name));
            rest = head.substring(end + OutputConstraint.ToolCall.ARGUMENTS_PREFIX.length());
            head.setLength(0);
        }
        int before = arguments.length();
        for (int i = 0; i < rest.length() && !complete; i++) {
            char c = rest.charAt(i);
            arguments.append(c);
            if (inString) {
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    inString = false;
                }
            } else if (c == '"') {
                inString = true;
            } else if (c == '{' || c == '[') {
                depth++;
            } else if (c == '}' || c == ']') {
                complete = --depth == 0;
            }
        }
        if (arguments.length() > before) {
            out.add(new Arguments(arguments.substring(before)));
        }
        return out;
    }

    /** Whether the call's name is known (it has started). */
    public boolean started() {
        return name != null;
    }

    /** Whether the arguments object is closed. */
    public boolean complete() {
        return complete;
    }

    /** The call so far as index 0 of the choice, or null before its name is known. */
    public ToolCallParser.Call call() {
        return name == null ? null : new ToolCallParser.Call(0, id, name, arguments.toString());
    }

    @Override
    public String toString() {
        return "ForcedToolCall[" + (name == null ? "no name yet" : arguments.length() + " argument chars")
                + (complete ? ", complete" : "") + "]";
    }
}
