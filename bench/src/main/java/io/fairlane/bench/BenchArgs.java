package io.fairlane.bench;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A benchmark's {@code --name value} (or {@code --name=value}) options, checked against the names it knows, so a
 * misspelt option fails at once instead of silently measuring the default.
 */
public record BenchArgs(Map<String, String> values) {

    public BenchArgs {
        values = Map.copyOf(values);
    }

    /** Parses {@code args}; throws {@link UsageException} for a positional argument or an unknown name. */
    public static BenchArgs parse(List<String> args, Set<String> known) {
        Map<String, String> v = new HashMap<>();
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (!a.startsWith("--")) {
                throw new UsageException("unexpected argument '" + a + "'");
            }
            String name = a.substring(2);
            String value;
            int eq = name.indexOf('=');
            if (eq >= 0) {
                value = name.substring(eq + 1);
                name = name.substring(0, eq);
            } else {
                if (i + 1 >= args.size()) {
                    throw new UsageException("--" + name + " needs a value");
                }
                value = args.get(++i);
            }
            if (!known.contains(name)) {
                throw new UsageException("unknown option --" + name);
            }
            v.put(name, value);
        }
        return new BenchArgs(v);
    }

    public String required(String name) {
        String s = values.get(name);
        if (s == null) {
            throw new UsageException("--" + name + " is required");
        }
        return s;
    }

    public String get(String name, String fallback) {
        return values.getOrDefault(name, fallback);
    }

    public long longValue(String name, long fallback) {
        String s = values.get(name);
        if (s == null) {
            return fallback;
        }
        try {
            return Long.parseLong(s);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be an integer, was '" + s + "'");
        }
    }

    public double doubleValue(String name, double fallback) {
        String s = values.get(name);
        if (s == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(s);
        } catch (NumberFormatException e) {
            throw new UsageException("--" + name + " must be a number, was '" + s + "'");
        }
    }

    /** Positive integers separated by commas, e.g. {@code --batch 1,16}. */
    public List<Integer> intList(String name, List<Integer> fallback) {
        String s = values.get(name);
        if (s == null) {
            return fallback;
        }
        List<Integer> out = new ArrayList<>();
        for (String part : s.split(",")) {
            try {
                int n = Integer.parseInt(part.trim());
                if (n <= 0) {
                    throw new NumberFormatException();
                }
                out.add(n);
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + " must be positive integers separated by commas, was '"
                        + s + "'");
            }
        }
        return out;
    }

    /** A command-line mistake: the caller prints it with its usage text and exits with status 2. */
    public static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        public UsageException(String message) {
            super(message);
        }
    }
}
