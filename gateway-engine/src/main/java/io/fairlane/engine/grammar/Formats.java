package io.fairlane.engine.grammar;

import java.util.Map;

/**
 * The string {@code format}s OpenAI's strict mode supports, each as an anchored regular expression over the
 * characters of the value. Each accepts a subset of what the format's RFC allows, chosen so that every value
 * it admits is valid for a strict validator as well: dates never name a day a month lacks (February stops at
 * the 28th), times carry an offset ({@code Z} or {@code ±hh:mm} below 18 hours, which is what java.time accepts;
 * RFC 3339 {@code full-time}), e-mail addresses
 * and host names use lower-case ASCII labels with a common top-level domain, IPv6 addresses are hex groups
 * without an embedded IPv4 part, and numeric fields are bounded. A model following the format still has all
 * the room it needs.
 */
final class Formats {

    private static final String DATE = "[12]\\d{3}-(?:(?:0[13578]|1[02])-(?:0[1-9]|[12]\\d|3[01])"
            + "|(?:0[469]|11)-(?:0[1-9]|[12]\\d|30)|02-(?:0[1-9]|1\\d|2[0-8]))";
    private static final String TIME = "(?:[01]\\d|2[0-3]):[0-5]\\d:[0-5]\\d(?:\\.\\d{1,6})?"
            + "(?:Z|[+-](?:0\\d|1[0-7]):[0-5]\\d)";
    private static final String DUR_TIME = "T(?:\\d{1,4}H(?:\\d{1,4}M(?:\\d{1,4}S)?)?|\\d{1,4}M(?:\\d{1,4}S)?"
            + "|\\d{1,4}S)";
    private static final String DURATION = "P(?:(?:\\d{1,4}D|\\d{1,4}M(?:\\d{1,4}D)?|\\d{1,4}Y(?:\\d{1,4}M"
            + "(?:\\d{1,4}D)?)?)(?:" + DUR_TIME + ")?|" + DUR_TIME + "|\\d{1,4}W)";
    private static final String LABEL = "[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?";
    private static final String TLD = "(?:com|org|net|io|dev|edu|gov|app|info)";
    private static final String HOSTNAME = "(?:" + LABEL + "\\.){0,3}[a-z](?:[a-z0-9-]{0,30}[a-z0-9])?";
    private static final String EMAIL = "[a-z0-9]{1,15}(?:[._+-][a-z0-9]{1,15}){0,3}@(?:" + LABEL + "\\.){1,3}"
            + TLD;
    private static final String OCTET = "(?:25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";
    private static final String H = "[0-9a-fA-F]{1,4}";
    private static final String IPV6 = "(?:(?:" + H + ":){7}" + H
            + "|(?:" + H + ":){1,7}:"
            + "|(?:" + H + ":){1,6}:" + H
            + "|(?:" + H + ":){1,5}(?::" + H + "){1,2}"
            + "|(?:" + H + ":){1,4}(?::" + H + "){1,3}"
            + "|(?:" + H + ":){1,3}(?::" + H + "){1,4}"
            + "|(?:" + H + ":){1,2}(?::" + H + "){1,5}"
            + "|" + H + ":(?::" + H + "){1,6}"
            + "|:(?:(?::" + H + "){1,7}|:))";
    private static final String HEX = "[0-9a-fA-F]";

    /** Format name → anchored pattern. */
    static final Map<String, String> PATTERNS = Map.of(
            "date", "^" + DATE + "$",
            "time", "^" + TIME + "$",
            "date-time", "^" + DATE + "T" + TIME + "$",
            "duration", "^" + DURATION + "$",
            "email", "^" + EMAIL + "$",
            "hostname", "^" + HOSTNAME + "$",
            "ipv4", "^(?:" + OCTET + "\\.){3}" + OCTET + "$",
            "ipv6", "^" + IPV6 + "$",
            "uuid", "^" + HEX + "{8}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{12}$");

    private Formats() {
    }

    static boolean supported(String format) {
        return PATTERNS.containsKey(format);
    }

    /** The format's values as an ε-free character automaton. */
    static CharNfa compile(String format, String pointer, CompileBudget budget) {
        String pattern = PATTERNS.get(format);
        if (pattern == null) {
            throw new SchemaException("format '" + format + "' is not supported; supported: "
                    + new java.util.TreeSet<>(PATTERNS.keySet()), "format", pointer);
        }
        return Regex.compile(pattern, pointer, budget);
    }
}
