package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Deque;
import java.util.Optional;

/**
 * What {@code ./fairlane conformance replay} is told.
 *
 * @param capture the capture file (JSON Lines)
 * @param target the server to replay against: its origin ({@code http://host:port}) or its SDK base URL
 *        ({@code http://host:port/v1}); captured paths are joined to it without doubling {@code /v1}
 * @param apiKey the key sent as {@code Authorization: Bearer} (captured credentials are redacted)
 * @param report where to write the Markdown and JSON reports, if anywhere
 * @param timeout per request, whole stream included
 */
public record ReplayOptions(Path capture, URI target, String apiKey, Optional<Path> report, Duration timeout) {

    public ReplayOptions {
        requireNonNull(capture, "capture");
        requireNonNull(target, "target");
        if (!"http".equals(target.getScheme()) && !"https".equals(target.getScheme())) {
            throw new IllegalArgumentException("target must be an http or https URL, was " + target);
        }
        requireNonNull(apiKey, "apiKey");
        requireNonNull(report, "report");
        requireNonNull(timeout, "timeout");
    }

    /** Parses the arguments after {@code replay}. */
    public static ReplayOptions parse(Deque<String> args) {
        Path capture = null;
        URI target = null;
        String apiKey = System.getenv().getOrDefault("OPENAI_API_KEY", "");
        Path report = null;
        Duration timeout = Duration.ofSeconds(120);
        while (!args.isEmpty()) {
            String flag = args.pollFirst();
            String value = args.pollFirst();
            if (value == null) {
                throw new IllegalArgumentException(flag + " needs a value");
            }
            switch (flag) {
                case "--capture" -> capture = Path.of(value);
                case "--target" -> target = URI.create(value);
                case "--api-key" -> apiKey = value;
                case "--report" -> report = Path.of(value);
                case "--timeout" -> timeout = Duration.ofSeconds(Long.parseLong(value));
                default -> throw new IllegalArgumentException("unknown replay option '" + flag + "'");
            }
        }
        if (capture == null || target == null) {
            throw new IllegalArgumentException("replay needs --capture FILE and --target URL");
        }
        return new ReplayOptions(capture, target, apiKey, Optional.ofNullable(report), timeout);
    }
}
