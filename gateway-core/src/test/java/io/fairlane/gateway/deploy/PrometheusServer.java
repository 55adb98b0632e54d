package io.fairlane.gateway.deploy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real Prometheus server (Debian's {@code prometheus}, installed by scripts/prereq.d/10-prometheus.sh) for
 * tests: scrapes the given targets every second, evaluates the given rule files every second, and answers
 * PromQL through its HTTP API. Storage and logs live in the caller's scratch folder.
 */
final class PrometheusServer implements AutoCloseable {

    /** One series of an instant-query result: its labels (without {@code __name__}) and value. */
    record Sample(Map<String, String> labels, String value) {
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Process process;
    private final URI base;
    private final Path log;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private PrometheusServer(Process process, URI base, Path log) {
        this.process = process;
        this.base = base;
        this.log = log;
    }

    /**
     * Starts Prometheus and waits until it is ready.
     *
     * @param binary    the prometheus executable
     * @param scratch   a folder for its config, data and log
     * @param target    host:port of the Fairlane to scrape (job {@code fairlane}, path /metrics)
     * @param ruleFiles rule files to load
     */
    static PrometheusServer start(Path binary, Path scratch, String target, List<Path> ruleFiles)
            throws IOException, InterruptedException {
        int port = freePort();
        StringBuilder config = new StringBuilder()
                .append("global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\n")
                .append("rule_files:\n");
        for (Path rules : ruleFiles) {
            config.append("  - '").append(rules.toAbsolutePath()).append("'\n");
        }
        config.append("scrape_configs:\n  - job_name: fairlane\n    metrics_path: /metrics\n")
                .append("    static_configs:\n      - targets: ['").append(target).append("']\n");
        Path configFile = scratch.resolve("prometheus.yml");
        Files.writeString(configFile, config);
        Path log = scratch.resolve("prometheus.log");
        Process process = new ProcessBuilder(binary.toString(),
                "--config.file=" + configFile,
                "--storage.tsdb.path=" + scratch.resolve("data"),
                "--web.listen-address=127.0.0.1:" + port,
                "--log.level=warn")
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        PrometheusServer server = new PrometheusServer(process, URI.create("http://127.0.0.1:" + port), log);
        try {
            server.awaitReady(Duration.ofSeconds(30));
        } catch (IOException | RuntimeException | InterruptedException e) {
            server.close();
            throw e;
        }
        return server;
    }

    private static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        }
    }

    private void awaitReady(Duration timeout) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            if (!process.isAlive()) {
                throw new IllegalStateException("prometheus exited " + process.exitValue() + ": " + logTail());
            }
            try {
                HttpResponse<Void> ready = http.send(HttpRequest.newBuilder(base.resolve("/-/ready"))
                        .timeout(Duration.ofSeconds(2)).build(), HttpResponse.BodyHandlers.discarding());
                if (ready.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("prometheus not ready within " + timeout + ": " + logTail());
    }

    /** Runs an instant query; fails on a PromQL error, naming the expression. */
    List<Sample> query(String promql) throws IOException, InterruptedException {
        URI uri = base.resolve("/api/v1/query?query=" + URLEncoder.encode(promql, StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (!"success".equals(body.path("status").asText())) {
            throw new AssertionError("query failed: " + promql + "\n" + response.body());
        }
        List<Sample> samples = new ArrayList<>();
        JsonNode data = body.path("data");
        if ("vector".equals(data.path("resultType").asText())) {
            for (JsonNode series : data.path("result")) {
                Map<String, String> labels = new TreeMap<>();
                series.path("metric").properties().forEach(e -> labels.put(e.getKey(), e.getValue().asText()));
                labels.remove("__name__");
                samples.add(new Sample(labels, series.path("value").path(1).asText()));
            }
        } else if ("scalar".equals(data.path("resultType").asText())) {
            samples.add(new Sample(Map.of(), data.path("result").path(1).asText()));
        }
        return samples;
    }

    /** The values of {@code label} on series matching {@code match} (what Grafana's label_values() asks). */
    List<String> labelValues(String label, String match) throws IOException, InterruptedException {
        URI uri = base.resolve("/api/v1/label/" + label + "/values?match[]="
                + URLEncoder.encode(match, StandardCharsets.UTF_8));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        JsonNode body = JSON.readTree(response.body());
        if (!"success".equals(body.path("status").asText())) {
            throw new AssertionError("label query failed: " + label + " " + match + "\n" + response.body());
        }
        List<String> values = new ArrayList<>();
        body.path("data").forEach(v -> values.add(v.asText()));
        return values;
    }

    /** Polls {@code promql} until its result satisfies {@code done}; returns the last result either way. */
    List<Sample> awaitQuery(String promql, Predicate<List<Sample>> done, Duration timeout)
            throws IOException, InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        List<Sample> result = query(promql);
        while (!done.test(result) && System.nanoTime() < deadline) {
            Thread.sleep(250);
            result = query(promql);
        }
        return result;
    }

    String logTail() {
        try {
            List<String> lines = Files.readAllLines(log);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
        } catch (IOException e) {
            return "(no log: " + e.getMessage() + ")";
        }
    }

    @Override
    public void close() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(10, TimeUnit.SECONDS)) {
            process.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
        }
    }
}
