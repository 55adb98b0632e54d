package io.fairlane.conformance.capture;

import static java.util.Objects.requireNonNull;

import io.fairlane.conformance.wire.Exchange;
import io.fairlane.conformance.wire.HttpProbe;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Sends each captured request to a target and compares the answers. Requests go one at a time, in file
 * order, so a capture that depends on order (create, then read) replays as recorded. Only the headers
 * that shape the answer are replayed; credentials come from the replay's own API key.
 */
public final class Replayer {

    /** Captured request headers sent again on replay; the rest (auth, tracing, hop-by-hop) are not. */
    static final Set<String> REPLAYED_HEADERS = Set.of("content-type", "accept", "openai-beta");

    private final ReplayOptions options;

    public Replayer(ReplayOptions options) {
        this.options = requireNonNull(options, "options");
    }

    public ReplayReport run(PrintStream progress) {
        List<CaptureFormat.Line> lines = CaptureFormat.read(options.capture());
        List<ReplayReport.RecordOutcome> outcomes = new ArrayList<>();
        for (CaptureFormat.Line line : lines) {
            outcomes.add(replay(line));
            ReplayReport.RecordOutcome last = outcomes.getLast();
            progress.printf("line %d %s: %d differences%n", last.line(), last.request(),
                    last.count(Difference.Severity.DIFFERENCE));
        }
        return new ReplayReport(options.capture().toString(), options.target().toString(), outcomes);
    }

    private ReplayReport.RecordOutcome replay(CaptureFormat.Line line) {
        CaptureRecord record = line.record();
        CapturedRequest request = record.request();
        HttpProbe probe = new HttpProbe(base(options.target(), request.path()), options.apiKey(), options.timeout());
        HttpProbe.Call call = probe.call("replay of line " + line.number(), request.method(), request.path());
        if (request.body() != null) {
            call.json(request.body());
        } else if (request.bodyText() != null) {
            call.rawBody(request.bodyText().getBytes(StandardCharsets.UTF_8),
                    request.headers().getOrDefault("content-type", "application/octet-stream"));
        }
        request.headers().forEach((name, value) -> {
            if (REPLAYED_HEADERS.contains(name.toLowerCase(Locale.ROOT))) {
                call.header(name, value);
            }
        });
        String summary = request.method() + " " + request.path();
        if (record.response().status() == 401) {
            // Captures redact credentials, and the replay sends its own valid key: an authentication
            // failure cannot be reproduced, so it is noted rather than replayed.
            return new ReplayReport.RecordOutcome(line.number(), summary, 401, 0, null, false, List.of(
                    new Difference("$status", Difference.Kind.STATUS, Difference.Severity.NOTE, "401",
                            "not replayed: captured credentials are redacted")));
        }
        Exchange exchange = call.send();
        if (exchange.response().isEmpty()) {
            return new ReplayReport.RecordOutcome(line.number(), summary, record.response().status(), 0,
                    exchange.transportError().orElse("?"), record.textIsDeterministic(), List.of());
        }
        return new ReplayReport.RecordOutcome(line.number(), summary, record.response().status(), exchange.status(),
                null, record.textIsDeterministic(), ResponseDiff.compare(record, exchange.responseOrThrow()));
    }

    /** The base to resolve a captured path against: the target's origin, or its base URL minus a doubled /v1. */
    static URI base(URI target, String capturedPath) {
        String path = target.getRawPath() == null ? "" : target.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        if (capturedPath.startsWith("/v1/") && path.endsWith("/v1")) {
            path = path.substring(0, path.length() - 3);
        }
        return URI.create(target.getScheme() + "://" + target.getRawAuthority() + path + "/");
    }
}
