package io.fairlane.bench.soak;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What the soak reads from the gateway process: its resident memory from {@code /proc}, and sums of Prometheus
 * series from {@code /metrics} (heap and direct memory used, requests in flight, queues, KV blocks).
 */
final class GatewayProbe {

    private final long pid;
    private final URI metrics;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    GatewayProbe(long pid, int port) {
        this.pid = pid;
        this.metrics = URI.create("http://127.0.0.1:" + port + "/metrics");
    }

    /** Resident set size in bytes ({@code VmRSS}), or -1 when the process is gone. */
    long rssBytes() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith("VmRSS:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    /** User plus system CPU seconds the process has used. */
    double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / 100.0;
        } catch (IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    /** The metrics page, or an empty string when it cannot be read. */
    String scrape() {
        try {
            return http.send(HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(10)).GET().build(),
                    HttpResponse.BodyHandlers.ofString()).body();
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }

    /** The sum of every sample of {@code name} whose labels contain {@code labelFilter} (may be empty). */
    static double sum(String page, String name, String labelFilter) {
        Pattern p = Pattern.compile("^" + Pattern.quote(name) + "(\\{[^}]*})? ([-+0-9.eE]+|NaN)$", Pattern.MULTILINE);
        Matcher m = p.matcher(page);
        double total = 0;
        while (m.find()) {
            String labels = m.group(1) == null ? "" : m.group(1);
            if (labels.contains(labelFilter) && !m.group(2).equals("NaN")) {
                total += Double.parseDouble(m.group(2));
            }
        }
        return total;
    }
}
