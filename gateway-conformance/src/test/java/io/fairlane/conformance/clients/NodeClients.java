package io.fairlane.conformance.clients;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Runs {@code clients.mjs} (the openai SDK and the Vercel AI SDK, installed by the build with {@code npm ci}
 * into {@code target/node-clients}) against a base URL and returns one result per client and scenario.
 * Skips the calling test with the reason when node or the installed packages are missing.
 */
public final class NodeClients {

    /** One scenario's outcome as the script prints it. */
    public record Result(String client, String scenario, String status, String detail) {
    }

    private NodeClients() {
    }

    static Path installDir() {
        String override = System.getProperty("fairlane.node.clients.dir");
        return override != null ? Path.of(override) : Path.of("target", "node-clients");
    }

    /**
     * @param toolCallsRefused whether the target refuses forced tool calls (the tool scenarios then expect a
     *                         clean 400 naming {@code tool_choice} and report {@code refused})
     */
    public static List<Result> run(URI baseUrl, String apiKey, String model, String embeddingModel,
                                   boolean toolCallsRefused) throws IOException, InterruptedException {
        Path dir = installDir();
        Assumptions.assumeTrue(Files.isDirectory(dir.resolve("node_modules")), "node clients not installed in "
                + dir.toAbsolutePath() + " (the build runs npm ci there unless -Dfairlane.skipNpm=true or npm is"
                + " missing; scripts/prereq.d/30-conformance-node.sh installs node)");
        ProcessBuilder builder = new ProcessBuilder("node", "clients.mjs").directory(dir.toFile())
                .redirectErrorStream(true);
        builder.environment().put("FAIRLANE_BASE_URL", baseUrl.toString());
        builder.environment().put("FAIRLANE_API_KEY", apiKey);
        builder.environment().put("FAIRLANE_MODEL", model);
        if (embeddingModel != null) {
            builder.environment().put("FAIRLANE_EMBEDDING_MODEL", embeddingModel);
        }
        if (toolCallsRefused) {
            builder.environment().put("FAIRLANE_TOOL_CALLS_REFUSED", "1");
        }
        Process process;
        try {
            process = builder.start();
        } catch (IOException e) {
            Assumptions.abort("node is not on the PATH: " + e.getMessage());
            throw e;
        }
        process.getOutputStream().close();
        byte[] output = process.getInputStream().readAllBytes();
        if (!process.waitFor(120, TimeUnit.SECONDS)) {
            process.destroyForcibly();
            throw new IllegalStateException("clients.mjs did not finish within 120 s");
        }
        String text = new String(output, StandardCharsets.UTF_8);
        System.out.println("clients.mjs against " + baseUrl + ":\n" + text); // kept in the surefire output file
        List<Result> results = new ArrayList<>();
        ObjectMapper json = new ObjectMapper();
        for (String line : text.split("\n")) {
            if (line.startsWith("{")) {
                JsonNode node = json.readTree(line);
                results.add(new Result(node.path("client").asText(), node.path("scenario").asText(),
                        node.path("status").asText(), node.path("detail").asText()));
            }
        }
        if (results.isEmpty()) {
            throw new IllegalStateException("clients.mjs printed no results (exit " + process.exitValue() + "):\n" + text);
        }
        return results;
    }
}
