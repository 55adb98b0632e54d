package io.fairlane.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code fairlane route}: the decision path of a manifest, and clear refusals. */
class RouteCommandTest {

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private int run(String... args) {
        return RouteCommand.run(List.of(args), Map.of("HOME", "/tmp"), new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private static String example() {
        return Fixtures.projectRoot().resolve("config/examples/routing-manifest.yaml").toString();
    }

    @Test
    void route_example_printsGroupsWeightsPoliciesAndTheDecision() {
        int code = run("--config", example(), "--model", "gpt-4o-mini", "--tenant", "batch-jobs");

        assertThat(code).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8))
                .contains("group 1 'primary': spills to the next group when every target has 28 in flight")
                .contains("openai: weight 3 (75%), 0/32 in flight, SERVING")
                .contains("retry: up to 3 attempts").contains("breaker: eject after 5 failures")
                .contains("context fallbacks: a request refused as too long goes to [long]")
                .contains("tenant batch-jobs is opted in")
                .contains("now: group 'primary', one of openai (75%), azure (25%) by weight");
    }

    @Test
    void route_unknownModel_namesTheModelsThereAre() {
        int code = run("--config", example(), "--model", "nope");

        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("no model 'nope'").contains("gpt-4o-mini");
    }

    @Test
    void route_invalidFile_printsEveryErrorWithItsPath(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, """
                tenants: [{id: a, api_keys: ["sha256:%s"]}]
                models:
                  - id: m
                    upstream: {groups: [{name: g, targets: [{url: "http://a/v1", weight: -2}]}], retry: {max_attempts: 0}}
                """.formatted("a".repeat(64)));

        int code = run("--config", file.toString(), "--model", "m");

        assertThat(code).isEqualTo(1);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("models[0].upstream.groups[0].targets[0].weight")
                .contains("models[0].upstream.retry.max_attempts");
    }

    @Test
    void route_withoutModel_isAUsageError() {
        assertThat(run("--config", example())).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("usage: fairlane route");
    }
}
