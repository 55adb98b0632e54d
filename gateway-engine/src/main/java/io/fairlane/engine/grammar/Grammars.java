package io.fairlane.engine.grammar;

import com.fasterxml.jackson.databind.JsonNode;
import io.fairlane.engine.OutputConstraint;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Compiles the output constraints that carry JSON Schemas ({@link OutputConstraint.JsonSchema}, a
 * {@link OutputConstraint.ToolCall} with parameter schemas) into {@link Grammar}s, and caches them by the SHA-256
 * of what was compiled, so a schema sent with every request of an agent loop is compiled once. The cache holds
 * the last {@value #CACHE_ENTRIES} grammars and refusals (a pathological schema sent again is refused again
 * without spending the compile budget twice).
 *
 * <p>What a grammar enforces is described on {@link SchemaCompiler}; refusals are {@link SchemaException}s.
 *
 * <p>Thread-safe.
 */
public final class Grammars {

    static final int CACHE_ENTRIES = 256;

    private record Compiled(Grammar grammar, SchemaException refusal) {
    }

    private static final Map<String, Compiled> CACHE = new LinkedHashMap<>(64, 0.75f, true) {
        @Override
        protected boolean removeEldestEntry(Map.Entry<String, Compiled> eldest) {
            return size() > CACHE_ENTRIES;
        }
    };

    private Grammars() {
    }

    /**
     * Whether {@code constraint} needs a grammar ({@link #compile}); the others ({@code JsonObject}, a
     * {@code ToolCall} without schemas) are enforced by the fixed JSON automaton.
     */
    public static boolean needsGrammar(OutputConstraint constraint) {
        return switch (Objects.requireNonNull(constraint, "constraint")) {
            case OutputConstraint.JsonSchema s -> true;
            case OutputConstraint.ToolCall c -> !c.parameters().isEmpty();
            case OutputConstraint.JsonObject j -> false;
        };
    }

    /**
     * The grammar of {@code constraint}, from the cache when the same schema was compiled before.
     *
     * @throws SchemaException          when the schema cannot be enforced (names the keyword and its JSON pointer)
     * @throws IllegalArgumentException when the constraint needs no grammar
     */
    public static Grammar compile(OutputConstraint constraint) {
        String key = key(constraint);
        Compiled e;
        synchronized (CACHE) {
            e = CACHE.get(key);
        }
        if (e == null) {
            e = build(constraint);
            synchronized (CACHE) {
                CACHE.put(key, e);
            }
        }
        if (e.refusal() != null) {
            throw e.refusal();
        }
        return e.grammar();
    }

    /** Compiles without the cache (benchmarks measure this). */
    static Grammar compileUncached(OutputConstraint constraint) {
        Compiled e = build(constraint);
        if (e.refusal() != null) {
            throw e.refusal();
        }
        return e.grammar();
    }

    private static Compiled build(OutputConstraint constraint) {
        try {
            CompileBudget budget = CompileBudget.standard();
            return new Compiled(switch (constraint) {
                case OutputConstraint.JsonSchema s -> {
                    JsonNode root = SchemaParser.parse(s.schema(), s.strict());
                    yield new SchemaCompiler(budget).compileValue(root, s.strict(), "json_schema " + s.name());
                }
                case OutputConstraint.ToolCall c -> {
                    if (c.parameters().isEmpty()) {
                        throw new IllegalArgumentException("a tool call without parameter schemas needs no grammar");
                    }
                    Map<String, JsonNode> roots = new LinkedHashMap<>();
                    Map<String, Boolean> strict = new LinkedHashMap<>();
                    for (Map.Entry<String, OutputConstraint.JsonSchema> p : c.parameters().entrySet()) {
                        try {
                            roots.put(p.getKey(), SchemaParser.parse(p.getValue().schema(), p.getValue().strict()));
                        } catch (SchemaException x) {
                            throw new SchemaException("function '" + p.getKey() + "': " + reason(x), x.keyword(),
                                    x.pointer());
                        }
                        strict.put(p.getKey(), p.getValue().strict());
                    }
                    yield new SchemaCompiler(budget).compileToolCall(c.names(), roots, strict,
                            OutputConstraint.ToolCall.NAME_PREFIX, OutputConstraint.ToolCall.ARGUMENTS_PREFIX,
                            OutputConstraint.ToolCall.SUFFIX, "tool call " + c.names());
                }
                case OutputConstraint.JsonObject j ->
                        throw new IllegalArgumentException("a JSON object constraint needs no grammar");
            }, null);
        } catch (SchemaException e) {
            return new Compiled(null, e);
        } catch (StackOverflowError e) {
            return new Compiled(null, new SchemaException("the schema nests too deeply to compile", "", ""));
        }
    }

    private static String reason(SchemaException e) {
        String m = e.getMessage();
        int at = m.lastIndexOf(" (keyword '");
        return at >= 0 ? m.substring(0, at) : m;
    }

    private static String key(OutputConstraint constraint) {
        StringBuilder sb = new StringBuilder();
        switch (constraint) {
            case OutputConstraint.JsonSchema s -> sb.append("S").append(s.strict()).append('\n').append(s.schema());
            case OutputConstraint.ToolCall c -> {
                sb.append("T");
                for (String n : c.names()) {
                    OutputConstraint.JsonSchema s = c.parameters().get(n);
                    sb.append('\n').append(n).append('\n');
                    if (s != null) {
                        sb.append(s.strict()).append(s.schema().length()).append(':').append(s.schema());
                    }
                }
            }
            case OutputConstraint.JsonObject j -> sb.append("J");
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            return HexFormat.of().formatHex(sha.digest(sb.toString().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
