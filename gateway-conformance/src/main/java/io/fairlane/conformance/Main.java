package io.fairlane.conformance;

import io.fairlane.conformance.capture.ReplayOptions;
import io.fairlane.conformance.capture.ReplayReport;
import io.fairlane.conformance.capture.Replayer;
import io.fairlane.conformance.check.Catalogue;
import io.fairlane.conformance.check.Check;
import io.fairlane.conformance.check.CheckResult;
import io.fairlane.conformance.check.Harness;
import io.fairlane.conformance.check.HarnessOptions;
import io.fairlane.conformance.check.Status;
import io.fairlane.conformance.check.Suite;
import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.report.ReportWriter;
import java.io.PrintStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

/**
 * {@code ./fairlane conformance}: checks a server ({@code [check] --base-url ...}), replays a capture
 * ({@code replay --capture ...}) or lists the checks ({@code list}). Exit status 0 when nothing failed,
 * 1 when a check failed or the replay found differences, 2 for bad arguments.
 */
public final class Main {

    static final int OK = 0;
    static final int FAILED = 1;
    static final int USAGE = 2;

    private Main() {
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs the command line and returns the exit status (tests call this instead of {@link #main}). */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        Deque<String> rest = new ArrayDeque<>(List.of(args));
        String command = rest.isEmpty() || rest.peekFirst().startsWith("-") ? "check" : rest.pollFirst();
        try {
            return switch (command) {
                case "check" -> check(rest, out, err);
                case "replay" -> replay(rest, out, err);
                case "list" -> list(out);
                case "help", "-h", "--help" -> {
                    out.print(USAGE_TEXT);
                    yield OK;
                }
                default -> throw new IllegalArgumentException("unknown command '" + command + "'");
            };
        } catch (IllegalArgumentException e) {
            err.println("conformance: " + e.getMessage());
            err.print(USAGE_TEXT);
            return USAGE;
        }
    }

    private static int check(Deque<String> args, PrintStream out, PrintStream err) {
        String baseUrl = null;
        String apiKey = null;
        String model = null;
        Path report = null;
        HarnessOptions.Builder[] builder = new HarnessOptions.Builder[1];
        List<Runnable> deferred = new java.util.ArrayList<>();
        while (!args.isEmpty()) {
            String flag = args.pollFirst();
            switch (flag) {
                case "--base-url" -> baseUrl = value(flag, args);
                case "--api-key" -> apiKey = value(flag, args);
                case "--model" -> model = value(flag, args);
                case "--report" -> report = Path.of(value(flag, args));
                case "--embedding-model" -> {
                    String v = value(flag, args);
                    deferred.add(() -> builder[0].embeddingModel(v));
                }
                case "--suite" -> {
                    for (String name : value(flag, args).split(",")) {
                        Suite suite = Suite.fromCliName(name);
                        deferred.add(() -> builder[0].suite(suite));
                    }
                }
                case "--check" -> {
                    for (String id : value(flag, args).split(",")) {
                        deferred.add(() -> builder[0].check(id.strip()));
                    }
                }
                case "--na" -> {
                    String v = value(flag, args);
                    int eq = v.indexOf('=');
                    if (eq <= 0) {
                        throw new IllegalArgumentException("--na takes CHECK=REASON, got '" + v + "'");
                    }
                    deferred.add(() -> builder[0].notApplicable(v.substring(0, eq).strip(), v.substring(eq + 1).strip()));
                }
                case "--openapi" -> {
                    Path v = Path.of(value(flag, args));
                    deferred.add(() -> builder[0].openapi(v));
                }
                case "--rate-limit-key" -> {
                    String v = value(flag, args);
                    deferred.add(() -> builder[0].rateLimitKey(v));
                }
                case "--rate-limit-attempts" -> {
                    int v = Integer.parseInt(value(flag, args));
                    deferred.add(() -> builder[0].rateLimitAttempts(v));
                }
                case "--quota-key" -> {
                    String v = value(flag, args);
                    deferred.add(() -> builder[0].quotaKey(v));
                }
                case "--mid-stream-error-model" -> {
                    String v = value(flag, args);
                    deferred.add(() -> builder[0].midStreamErrorModel(v));
                }
                case "--mid-stream-error-header" -> {
                    String v = value(flag, args);
                    int colon = v.indexOf(':');
                    if (colon <= 0) {
                        throw new IllegalArgumentException("--mid-stream-error-header takes 'Name: value', got '" + v + "'");
                    }
                    deferred.add(() -> builder[0].midStreamErrorHeader(v.substring(0, colon).strip(),
                            v.substring(colon + 1).strip()));
                }
                case "--oversized-body-bytes" -> {
                    long v = Long.parseLong(value(flag, args));
                    deferred.add(() -> builder[0].oversizedBodyBytes(v));
                }
                case "--timeout" -> {
                    Duration v = Duration.ofSeconds(Long.parseLong(value(flag, args)));
                    deferred.add(() -> builder[0].timeout(v));
                }
                default -> throw new IllegalArgumentException("unknown option '" + flag + "'");
            }
        }
        if (baseUrl == null || model == null) {
            throw new IllegalArgumentException("--base-url and --model are required");
        }
        if (apiKey == null) {
            apiKey = System.getenv().getOrDefault("OPENAI_API_KEY", "");
        }
        builder[0] = HarnessOptions.builder(URI.create(baseUrl), apiKey, model);
        deferred.forEach(Runnable::run);
        HarnessOptions options = builder[0].build();
        Report result = new Harness(options).run(r -> progress(r, err));
        out.print(ReportWriter.table(result));
        out.printf("%n%d pass, %d fail, %d not applicable (%d ms)%n", result.count(Status.PASS),
                result.count(Status.FAIL), result.count(Status.NOT_APPLICABLE), result.elapsed().toMillis());
        if (report != null) {
            out.println("report: " + ReportWriter.write(result, report));
        }
        return result.passed() ? OK : FAILED;
    }

    private static void progress(CheckResult result, PrintStream err) {
        err.printf("%-5s %s%n", result.status().label(), result.id());
    }

    private static int replay(Deque<String> args, PrintStream out, PrintStream err) {
        ReplayOptions options = ReplayOptions.parse(args);
        ReplayReport report = new Replayer(options).run(err);
        out.print(report.markdown());
        if (options.report().isPresent()) {
            out.println("report: " + report.write(options.report().get()));
        }
        return report.differenceCount() == 0 ? OK : FAILED;
    }

    private static int list(PrintStream out) {
        for (Check check : Catalogue.all()) {
            out.printf("%-30s %-12s %s%n", check.id(), check.suite().cliName(), check.title());
        }
        return OK;
    }

    static String value(String flag, Deque<String> args) {
        String value = args.pollFirst();
        if (value == null) {
            throw new IllegalArgumentException(flag + " needs a value");
        }
        return value;
    }

    static final String USAGE_TEXT = """
            usage:
              ./fairlane conformance --base-url URL --model M [--api-key KEY] [options]
                  check an OpenAI-compatible server (URL as an SDK takes it, e.g. http://localhost:8080/v1;
                  the key defaults to $OPENAI_API_KEY)
                --embedding-model E          embedding model (embedding checks are n/a without it)
                --suite S[,S...]             streaming, usage, tools, chat, embeddings, models, errors,
                                             idempotency, schema (default: all)
                --check ID[,ID...]           run only these checks (see: ./fairlane conformance list)
                --na ID=REASON               declare a check not applicable, with the reason
                --report F                   write F.md and F.json (or F and its .md/.json sibling)
                --openapi FILE               OpenAPI document (default: the shared fixtures' copy)
                --rate-limit-key K           key of a tenant with a tiny request limit (for errors.429)
                --rate-limit-attempts N      requests to send before expecting a 429 (default 20)
                --quota-key K                key of a tenant with no quota left (insufficient_quota)
                --mid-stream-error-model M   model that fails after streaming began
                --mid-stream-error-header 'Name: value'   header that makes the server fail mid-stream
                --oversized-body-bytes N     body size for errors.413 (default 41943040; 0 skips)
                --timeout SECONDS            per request, whole stream included (default 120)
              ./fairlane conformance replay --capture F.jsonl --target URL [--api-key K] [--report F]
                  replay a capture and diff the responses field by field
              ./fairlane conformance list
                  list the checks
            exit status: 0 nothing failed, 1 a check failed or the replay differs, 2 bad arguments
            """;
}
