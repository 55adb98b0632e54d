package io.fairlane.conformance.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.conformance.check.CheckResult;
import io.fairlane.conformance.check.Evidence;
import io.fairlane.conformance.check.Status;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** Writes a {@link Report} as Markdown and as JSON. */
public final class ReportWriter {

    private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

    private ReportWriter() {
    }

    /**
     * The two files a {@code --report F} writes: F itself and its sibling with the other extension
     * ({@code .md} and {@code .json}); a name with neither extension gets both appended.
     */
    public static List<Path> targets(Path report) {
        String name = report.getFileName().toString();
        if (name.endsWith(".md")) {
            return List.of(report, report.resolveSibling(name.substring(0, name.length() - 3) + ".json"));
        }
        if (name.endsWith(".json")) {
            return List.of(report.resolveSibling(name.substring(0, name.length() - 5) + ".md"), report);
        }
        return List.of(report.resolveSibling(name + ".md"), report.resolveSibling(name + ".json"));
    }

    /** Writes the Markdown and JSON files for {@code --report F}; returns their paths. */
    public static List<Path> write(Report report, Path target) {
        List<Path> paths = targets(target);
        try {
            for (Path path : paths) {
                if (path.getParent() != null) {
                    Files.createDirectories(path.getParent());
                }
            }
            Files.writeString(paths.get(0), markdown(report));
            Files.writeString(paths.get(1), json(report));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write the report to " + paths, e);
        }
        return paths;
    }

    /** The summary table alone: one row per check. */
    public static String table(Report report) {
        StringBuilder out = new StringBuilder();
        out.append("| Check | Suite | Result | Detail |\n");
        out.append("| --- | --- | --- | --- |\n");
        for (CheckResult result : report.results()) {
            out.append("| `").append(result.id()).append("` | ").append(result.suite().cliName()).append(" | ")
                    .append(badge(result.status())).append(" | ").append(cell(result.status() == Status.PASS
                            ? result.title() : result.reason())).append(" |\n");
        }
        return out.toString();
    }

    public static String markdown(Report report) {
        StringBuilder out = new StringBuilder();
        out.append("# Conformance report\n\n");
        out.append("- Target: `").append(report.target()).append("`\n");
        out.append("- Model: `").append(report.model()).append("`\n");
        out.append("- Started: ").append(report.started()).append(", took ")
                .append(report.elapsed().toMillis()).append(" ms, ")
                .append(report.requests()).append(" requests\n");
        out.append("- OpenAPI document: ").append(report.openapi() == null ? "not found (schema checks n/a)"
                : "`" + report.openapi() + "`").append('\n');
        out.append("- Result: ").append(report.count(Status.PASS)).append(" pass, ")
                .append(report.count(Status.FAIL)).append(" fail, ")
                .append(report.count(Status.NOT_APPLICABLE)).append(" not applicable\n\n");
        out.append(table(report)).append('\n');
        out.append("## Evidence\n\n");
        for (CheckResult result : report.results()) {
            out.append("### `").append(result.id()).append("` — ").append(result.status().label()).append("\n\n");
            out.append(result.title()).append(".\n\n");
            for (String finding : result.findings()) {
                out.append("- ").append(finding.replace("\n", " ")).append('\n');
            }
            if (result.status() == Status.NOT_APPLICABLE) {
                out.append("- Not applicable: ").append(result.reason()).append('\n');
            }
            out.append('\n');
            for (Evidence evidence : result.evidence()) {
                out.append("<details><summary>").append(escapeHtml(evidence.purpose())).append(": ")
                        .append(escapeHtml(evidence.note())).append("</summary>\n\n```text\n");
                out.append(evidence.request()).append('\n');
                evidence.requestHeaders().forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
                if (!evidence.requestBody().isEmpty()) {
                    out.append('\n').append(evidence.requestBody()).append('\n');
                }
                out.append("\n--> ");
                if (evidence.transportError() != null) {
                    out.append("no response: ").append(evidence.transportError()).append('\n');
                } else {
                    out.append(evidence.status()).append('\n');
                    evidence.responseHeaders().forEach((k, v) -> out.append(k).append(": ").append(v).append('\n'));
                    out.append('\n').append(evidence.responseExcerpt()).append('\n');
                }
                out.append("```\n\n</details>\n\n");
            }
        }
        return out.toString().replace("```text\n", "````text\n").replace("\n```\n", "\n````\n");
    }

    public static String json(Report report) {
        ObjectNode root = JSON.createObjectNode();
        root.put("target", report.target());
        root.put("model", report.model());
        root.put("started", report.started().toString());
        root.put("elapsedMs", report.elapsed().toMillis());
        root.put("requests", report.requests());
        root.put("openapi", report.openapi());
        ObjectNode summary = root.putObject("summary");
        for (Status status : Status.values()) {
            summary.put(status.label(), report.count(status));
        }
        ArrayNode results = root.putArray("results");
        for (CheckResult result : report.results()) {
            ObjectNode node = results.addObject();
            node.put("id", result.id());
            node.put("suite", result.suite().cliName());
            node.put("title", result.title());
            node.put("status", result.status().label());
            node.put("reason", result.reason());
            ArrayNode findings = node.putArray("findings");
            result.findings().forEach(findings::add);
            node.set("evidence", JSON.valueToTree(result.evidence()));
        }
        try {
            return JSON.writeValueAsString(root) + "\n";
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String badge(Status status) {
        return switch (status) {
            case PASS -> "pass";
            case FAIL -> "**FAIL**";
            case NOT_APPLICABLE -> "n/a";
        };
    }

    private static String cell(String text) {
        String single = text.replace("\n", " ").replace("|", "\\|");
        return single.length() <= 220 ? single : single.substring(0, 217) + "...";
    }

    private static String escapeHtml(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }
}
