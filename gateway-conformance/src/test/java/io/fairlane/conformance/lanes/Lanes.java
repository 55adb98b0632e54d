package io.fairlane.conformance.lanes;

import io.fairlane.conformance.Fixtures;
import io.fairlane.conformance.check.HarnessOptions;
import io.fairlane.conformance.clients.ConformanceKit;
import io.fairlane.conformance.clients.ConformanceKit.Target;
import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.schema.OpenApiSchemas;
import io.fairlane.conformance.stub.CaptureUpstreamServer;
import io.fairlane.conformance.stub.ResettingUpstream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Fairlane's two conformance lanes, each one real Fairlane started on first use and shared by every test class
 * of the test JVM that needs it (the conformance kits, record and replay, the documentation table), with the
 * harness run once against it. Starting a lane and running the harness cost seconds of CI's two cores; no test
 * changes what another one sees (each provokes rate limits, quota errors and captures through a tenant of its
 * own). The lanes and their upstreams are closed when the JVM ends.
 *
 * <ul>
 *   <li>{@linkplain #local() local}: the synthetic {@value #LOCAL_MODEL} model on the CPU engine, and the same
 *       engine behind {@link MidStreamFaultEngine} for the mid-stream error check;</li>
 *   <li>{@linkplain #upstream() upstream}: {@value #UPSTREAM_MODEL} and {@value #UPSTREAM_EMBEDDING_MODEL}
 *       proxied to {@link CaptureUpstreamServer}, which answers with the streams recorded from api.openai.com in
 *       the shared fixtures (the lane is skipped with the reason where they are absent), and
 *       {@value #RESETTING_MODEL} proxied to a {@link ResettingUpstream} that breaks its streams.</li>
 * </ul>
 */
final class Lanes {

    static final String LOCAL_MODEL = "fairlane-tiny";
    static final String UPSTREAM_MODEL = CaptureUpstreamServer.MODEL;
    static final String UPSTREAM_EMBEDDING_MODEL = CaptureUpstreamServer.EMBEDDING_MODEL;
    static final String RESETTING_MODEL = "gpt-4o-resets";
    /** Each lane's capture file (the {@value FairlaneUnderTest#RECORDED_TENANT} tenant's traffic). */
    static final Path CAPTURE_DIR = Path.of("target", "record-and-replay").toAbsolutePath();

    /** A started lane: its Fairlane, how to reach it, the harness's report on it, and its capture file. */
    record Lane(FairlaneUnderTest fairlane, Target target, Report report, Path captureFile) {
    }

    private static Lane local;
    private static Lane upstream;
    private static String upstreamSkipped;

    private Lanes() {
    }

    /** The local lane, started (and the harness run against it) on first use. */
    static synchronized Lane local() throws Exception {
        if (local == null) {
            Path capture = freshCaptureFile("fairlane-local");
            FairlaneUnderTest fairlane = FairlaneUnderTest.start("""
                    - id: %1$s
                      local:
                        synthetic: {shape: tiny, dtype: f32, seed: 42}
                        backend: cpu
                        cpu_threads: 2
                        kv: {cache_size: 16MiB}
                    - id: %1$s%2$s
                      local:
                        synthetic: {shape: tiny, dtype: f32, seed: 42}
                        backend: cpu
                    """.formatted(LOCAL_MODEL, FairlaneUnderTest.FAULTY_SUFFIX), capture);
            closeAtExit(fairlane);
            HarnessOptions options = commonOptions(fairlane, LOCAL_MODEL)
                    .embeddingModel(LOCAL_MODEL)
                    .midStreamErrorModel(LOCAL_MODEL + FairlaneUnderTest.FAULTY_SUFFIX)
                    .build();
            Target target = new Target("fairlane-local", fairlane.baseUrl(), FairlaneUnderTest.KEY, LOCAL_MODEL,
                    LOCAL_MODEL, options, Optional.empty());
            local = new Lane(fairlane, target, ConformanceKit.runHarness(target), capture);
        }
        return local;
    }

    /**
     * The upstream lane, started (and the harness run against it) on first use; skips the calling test with
     * the reason where the shared captures are absent.
     */
    static synchronized Lane upstream() throws Exception {
        if (upstreamSkipped != null) {
            Fixtures.stop(upstreamSkipped, System.getenv());
        }
        if (upstream == null) {
            Optional<Path> found = Fixtures.findSseCaptures();
            if (found.isEmpty()) {
                upstreamSkipped = "the upstream lane replays the recorded streams: "
                        + Fixtures.sseCapturesMissingReason();
                Fixtures.stop(upstreamSkipped, System.getenv());
            }
            Path captures = found.orElseThrow();
            CaptureUpstreamServer recordings = CaptureUpstreamServer.start(captures, false);
            closeAtExit(recordings);
            ResettingUpstream resetting = ResettingUpstream.start();
            closeAtExit(resetting);
            Path capture = freshCaptureFile("fairlane-upstream");
            FairlaneUnderTest fairlane = FairlaneUnderTest.start("""
                    - id: %s
                      upstream: {url: "%s", max_concurrency: 4, timeouts: {connect: 2s, first_byte: 10s, read: 10s}}
                    - id: %s
                      upstream: {url: "%s"}
                    - id: %s
                      upstream: {url: "%s", model: %s, timeouts: {connect: 2s, first_byte: 10s, read: 10s}}
                    """.formatted(UPSTREAM_MODEL, recordings.baseUrl(), UPSTREAM_EMBEDDING_MODEL,
                    recordings.baseUrl(), RESETTING_MODEL, resetting.baseUrl(), UPSTREAM_MODEL), capture);
            closeAtExit(fairlane);
            String fixed = "the upstream replays fixed recordings";
            HarnessOptions options = commonOptions(fairlane, UPSTREAM_MODEL)
                    .embeddingModel(UPSTREAM_EMBEDDING_MODEL)
                    .midStreamErrorModel(RESETTING_MODEL)
                    .notApplicable("chat.stop", fixed + " and cannot honour stop sequences")
                    .notApplicable("chat.seed", fixed + "; the seed cannot change them")
                    .notApplicable("chat.logprobs", "the recorded logprobs stream was made without top_logprobs")
                    .notApplicable("structured.chat-json-schema", fixed + "; it cannot honour a schema, which "
                            + "Fairlane forwards to it untouched")
                    .notApplicable("structured.responses-json-schema", fixed + "; it cannot honour a schema, which "
                            + "Fairlane forwards to it untouched (as response_format)")
                    .notApplicable("structured.strict-tool", fixed + "; its recorded calls have arguments of other "
                            + "tools")
                    .build();
            Target target = new Target("fairlane-upstream", fairlane.baseUrl(), FairlaneUnderTest.KEY,
                    UPSTREAM_MODEL, UPSTREAM_EMBEDDING_MODEL, options, Optional.empty());
            upstream = new Lane(fairlane, target, ConformanceKit.runHarness(target), capture);
        }
        return upstream;
    }

    /** Both lanes that can run here (the upstream lane only where the shared captures are present). */
    static List<Lane> available() throws Exception {
        List<Lane> lanes = new ArrayList<>(List.of(local()));
        if (Fixtures.findSseCaptures().isPresent()) {
            lanes.add(upstream());
        }
        return lanes;
    }

    /**
     * The options both lanes share: the provoking tenants, the body limit, a generous timeout for 2 cores, and
     * the OpenAPI document wherever {@link Fixtures} found it.
     */
    private static HarnessOptions.Builder commonOptions(FairlaneUnderTest fairlane, String model) {
        HarnessOptions.Builder options = HarnessOptions.builder(fairlane.baseUrl(), FairlaneUnderTest.KEY, model)
                .rateLimitKey(FairlaneUnderTest.LIMITED_KEY)
                .rateLimitAttempts(5)
                .quotaKey(FairlaneUnderTest.NO_QUOTA_KEY)
                .oversizedBodyBytes(FairlaneUnderTest.MAX_BODY_BYTES * 2)
                .timeout(Duration.ofSeconds(30));
        Fixtures.find(OpenApiSchemas.FIXTURE_PATH).ifPresent(options::openapi);
        return options;
    }

    /** The lane's capture file, emptied: the recorder appends, and an earlier run's lines would be replayed. */
    private static Path freshCaptureFile(String lane) {
        Path file = CAPTURE_DIR.resolve(lane + ".jsonl");
        try {
            Files.createDirectories(CAPTURE_DIR);
            Files.deleteIfExists(file);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return file;
    }

    private static void closeAtExit(AutoCloseable resource) {
        Runtime.getRuntime().addShutdownHook(Thread.ofPlatform().unstarted(() -> {
            try {
                resource.close();
            } catch (Exception e) {
                // the JVM is ending; nothing is left to tell
            }
        }));
    }
}
