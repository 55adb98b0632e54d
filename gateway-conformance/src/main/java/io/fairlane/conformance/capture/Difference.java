package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

/**
 * One way a replayed response differs from the captured one.
 *
 * @param path where, as a JSON path into the response ({@code $.choices[0].message.content}) or a
 *        pseudo-field ({@code $status}, {@code $stream})
 * @param kind what kind of difference
 * @param severity whether it counts against the target or is only worth knowing
 * @param captured the captured value (shortened), or null when absent
 * @param replayed the target's value (shortened), or null when absent
 */
public record Difference(String path, Kind kind, Severity severity, String captured, String replayed) {

    /** What kind of difference. */
    public enum Kind {
        /** The HTTP status differs. */
        STATUS,
        /** One side streamed and the other did not, or the stream's ending differs. */
        STREAM,
        /** A field the capture has is absent. */
        MISSING,
        /** The target has a field the capture lacks. */
        EXTRA,
        /** The JSON types differ. */
        TYPE,
        /** The values differ. */
        VALUE,
        /** A list has another length. */
        LENGTH
    }

    /** Whether a difference counts against the target. */
    public enum Severity {
        /** A client could notice: counts against the target (non-zero exit). */
        DIFFERENCE,
        /** Reported for information (an extra field, null for absent, another model name). */
        NOTE
    }

    public Difference {
        requireNonNull(path, "path");
        requireNonNull(kind, "kind");
        requireNonNull(severity, "severity");
    }
}
