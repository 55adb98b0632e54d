package io.fairlane.gateway.deploy;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The shipped Prometheus rules and config pass promtool's checks, and its rule unit tests
 * (docker/prometheus/tests/*.yml) pass: the SLO alerts fire on a tenant burning its budget and stay quiet on
 * healthy traffic. Skipped with the reason where promtool is not installed, except on CI ({@code CI=true}),
 * where scripts/prereq.d/10-prometheus.sh installs it and its absence fails the tests.
 */
class PrometheusRulesTest {

    private static Path promtool;
    private static Path prometheusDir;

    @BeforeAll
    static void findPromtool() {
        promtool = Promtool.require("promtool", "PROMTOOL", "the Prometheus rule tests");
        prometheusDir = ProjectFiles.docker().resolve("prometheus");
    }

    private static List<String> yamlFilesIn(String folder) throws IOException {
        List<String> names = new ArrayList<>();
        try (Stream<Path> files = Files.list(prometheusDir.resolve(folder))) {
            files.filter(f -> f.toString().endsWith(".yml")).sorted()
                    .forEach(f -> names.add(folder + "/" + f.getFileName()));
        }
        assertThat(names).as("YAML files in docker/prometheus/" + folder).isNotEmpty();
        return names;
    }

    private static void assertPasses(List<String> arguments) throws Exception {
        Promtool.Result result = Promtool.run(promtool, prometheusDir, arguments);
        assertThat(result.exitCode()).as("promtool %s exited %d:%n%s", arguments, result.exitCode(),
                result.output()).isZero();
    }

    @Test
    void checkRules_everyRuleFile_passes() throws Exception {
        List<String> arguments = new ArrayList<>(List.of("check", "rules"));
        arguments.addAll(yamlFilesIn("rules"));
        assertPasses(arguments);
    }

    @Test
    void testRules_everyRuleUnitTest_passes() throws Exception {
        List<String> arguments = new ArrayList<>(List.of("test", "rules"));
        arguments.addAll(yamlFilesIn("tests"));
        assertPasses(arguments);
    }

    @Test
    void checkConfig_composePrometheusConfig_passes() throws Exception {
        assertPasses(List.of("check", "config", "prometheus.yml"));
    }

    @Test
    void testRules_brokenExpectation_fails(@TempDir Path scratch) throws Exception {
        // Proves the harness sees failures: a copy of the SLO tests that expects no page for the tenant whose
        // every request is slow must fail.
        String text = Files.readString(prometheusDir.resolve("tests/fairlane-slo-test.yml"));
        String marker = "      - eval_time: 10m\n        alertname: FairlaneSloFastBurn\n        exp_alerts:";
        assertThat(text).contains(marker).contains("../rules/fairlane-slo.yml");
        Path broken = scratch.resolve("broken-test.yml");
        Files.writeString(broken, text
                .replace("../rules/fairlane-slo.yml", prometheusDir.resolve("rules/fairlane-slo.yml").toString())
                .replace(marker, "      - eval_time: 10m\n        alertname: FairlaneSloFastBurn\n        exp_alerts: []\n"
                        + "      - eval_time: 10m\n        alertname: Unused\n        exp_alerts:"));
        Promtool.Result result = Promtool.run(promtool, scratch, List.of("test", "rules", broken.toString()));
        assertThat(result.output()).as("exit %d", result.exitCode()).contains("FAILED");
    }
}
