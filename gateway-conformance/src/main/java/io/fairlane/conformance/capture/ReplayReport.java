package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.fairlane.conformance.report.ReportWriter;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The outcome of replaying a capture.
 *
 * @param capture the capture file
 * @param target the server replayed against
 * @param records one outcome per captured exchange, in file order
 */
public record ReplayReport(String capture, String target, List<RecordOutcome> records) {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    /**
     * One replayed exchange.
     *
     * @param line the line in the capture file
     * @param request method and path
     * @param capturedStatus the status in the capture
     * @param replayedStatus the target's status, 0 when no response came back
     * @param transportError why no response came back, or null
     * @param textCompared whether generated text was compared (deterministic request or marked so)
     * @param differences what differs, notes included
     */
    public record RecordOutcome(int line, String request, int capturedStatus, int replayedStatus,
            String transportError, boolean textCompared, List<Difference> differences) {
        public RecordOutcome {
            differences = List.copyOf(differences);
        }

        public long count(Difference.Severity severity) {
            return differences.stream().filter(d -> d.severity() == severity).count()
                    + (transportError != null && severity == Difference.Severity.DIFFERENCE ? 1 : 0);
        }
    }

    public ReplayReport {
        requireNonNull(capture, "capture");
        requireNonNull(target, "target");
        records = List.copyOf(records);
    }

    /** Differences that count against the target (notes excluded), transport failures included. */
    public long differenceCount() {
        return records.stream().mapToLong(r -> r.count(Difference.Severity.DIFFERENCE)).sum();
    }

    public String markdown() {
        StringBuilder out = new StringBuilder();
        out.append("# Replay report\n\n");
        out.append("- Capture: `").append(capture).append("`\n");
        out.append("- Target: `").append(target).append("`\n");
        out.append("- ").append(records.size()).append(" exchanges, ").append(differenceCount())
                .append(" differences\n\n");
        out.append("| Line | Request | Status (captured → target) | Text compared | Differences | Notes |\n");
        out.append("| --- | --- | --- | --- | --- | --- |\n");
        for (RecordOutcome record : records) {
            out.append("| ").append(record.line()).append(" | `").append(record.request()).append("` | ")
                    .append(record.capturedStatus()).append(" → ")
                    .append(record.transportError() != null ? "no response" : String.valueOf(record.replayedStatus()))
                    .append(" | ").append(record.textCompared() ? "yes" : "no").append(" | ")
                    .append(record.count(Difference.Severity.DIFFERENCE)).append(" | ")
                    .append(record.count(Difference.Severity.NOTE)).append(" |\n");
        }
        for (RecordOutcome record : records) {
            if (record.differences().isEmpty() && record.transportError() == null) {
                continue;
            }
            out.append("\n## Line ").append(record.line()).append(": `").append(record.request()).append("`\n\n");
            if (record.transportError() != null) {
                out.append("- no response: ").append(record.transportError()).append('\n');
            }
            for (Difference d : record.differences()) {
                out.append("- ").append(d.severity() == Difference.Severity.NOTE ? "note" : "**difference**")
                        .append(" `").append(d.path()).append("` ").append(d.kind().name().toLowerCase())
                        .append(": captured ").append(code(d.captured())).append(", target ")
                        .append(code(d.replayed())).append('\n');
            }
        }
        return out.toString();
    }

    public String json() {
        try {
            return JSON.writeValueAsString(this) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Writes the Markdown and JSON reports next to each other (see {@link ReportWriter#targets}). */
    public List<Path> write(Path report) {
        List<Path> paths = ReportWriter.targets(report);
        try {
            for (Path path : paths) {
                if (path.getParent() != null) {
                    Files.createDirectories(path.getParent());
                }
            }
            Files.writeString(paths.get(0), markdown());
            Files.writeString(paths.get(1), json());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the replay report to " + paths, e);
        }
        return paths;
    }

    private static String code(String value) {
        return value == null ? "(absent)" : "`" + value.replace("`", "'").replace("\n", " ") + "`";
    }
}
