package io.fairlane.gateway.deploy;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The two Dockerfiles, read as text (no engine here to build them): they start the gateway exactly as the
 * launcher does, run as a non-root user, check health, and copy only what their .dockerignore lets through.
 */
class DockerfileTest {

    private static final Path ROOT = ProjectFiles.root();

    private static List<String> lines(String dockerfile) throws IOException {
        // Joins continuation lines so that each instruction is one line.
        String text = Files.readString(ROOT.resolve("docker").resolve(dockerfile)).replace("\\\n", " ");
        return text.lines().map(String::strip).filter(l -> !l.isEmpty() && !l.startsWith("#")).toList();
    }

    static List<String> execForm(String dockerfile, String instruction) throws IOException {
        String line = lines(dockerfile).stream().filter(l -> l.startsWith(instruction + " ")).reduce((a, b) -> b)
                .orElseThrow(() -> new AssertionError(dockerfile + " has no " + instruction));
        return new ObjectMapper().readValue(line.substring(instruction.length()).strip(), new TypeReference<>() { });
    }

    /** The JVM options of the launcher's run_java: what sits between the java binary and -cp. */
    private static List<String> launcherJvmOptions() throws IOException {
        String launcher = Files.readString(ROOT.resolve("fairlane")).replace("\\\n", " ");
        Matcher exec = Pattern.compile("exec \"\\$JAVA_HOME/bin/java\" (.*?) -cp ").matcher(launcher);
        assertThat(exec.find()).as("run_java line in ./fairlane").isTrue();
        List<String> options = new ArrayList<>(Arrays.asList(exec.group(1).strip().split("\\s+")));
        options.remove("${FAIRLANE_JAVA_OPTS:-}");
        // The collector is the launcher's default unless FAIRLANE_GC names another: the images run the default.
        options.replaceAll(o -> o.replaceAll("^\\$\\{FAIRLANE_GC:-(.*)}$", "$1"));
        return options;
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cpu"})
    void entrypoint_usesTheLaunchersJvmOptionsAndMain(String dockerfile) throws IOException {
        List<String> entrypoint = execForm(dockerfile, "ENTRYPOINT");
        List<String> expected = new ArrayList<>(List.of("java"));
        expected.addAll(launcherJvmOptions());
        expected.addAll(List.of("-cp", "/opt/fairlane/lib/*", "io.fairlane.gateway.Main"));
        assertThat(entrypoint).isEqualTo(expected);
    }

    /**
     * Without a bound the JVM lets the heap grow towards a quarter of the machine (a 5 GB RSS for 80 MB of live
     * data was measured, under ZGC), which a container's memory limit turns into an OOM kill: the launcher, and so both images,
     * size it from the memory the process may use.
     */
    @Test
    void launcher_sizesTheHeapFromTheMemoryLimit() throws IOException {
        assertThat(launcherJvmOptions()).contains("-XX:MaxRAMPercentage=40");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cpu"})
    void cmd_servesTheImagesConfigOnEveryInterface(String dockerfile) throws IOException {
        assertThat(execForm(dockerfile, "CMD")).containsExactly("serve", "--config", "/etc/fairlane/fairlane.yaml",
                "--host", "0.0.0.0");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cpu"})
    void user_isNonRoot(String dockerfile) throws IOException {
        String user = lines(dockerfile).stream().filter(l -> l.startsWith("USER ")).reduce((a, b) -> b).orElseThrow();
        assertThat(user).isEqualTo("USER 10001:10001");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cpu"})
    void healthcheck_runsTheShippedScript(String dockerfile) throws IOException {
        assertThat(execForm(dockerfile, "HEALTHCHECK --interval=15s --timeout=5s --start-period="
                + (dockerfile.equals("Dockerfile") ? "120s" : "60s") + " --retries=3 CMD"))
                .containsExactly("/opt/fairlane/bin/healthcheck");
    }

    @Test
    void runtimeStage_gpuImageIsBuiltOnTheCudaRuntime() throws IOException {
        String lastFrom = lines("Dockerfile").stream().filter(l -> l.startsWith("FROM ")).reduce((a, b) -> b)
                .orElseThrow();
        assertThat(lastFrom).isEqualTo("FROM nvidia/cuda:${CUDA_VERSION}-runtime-${UBUNTU}");
    }

    @ParameterizedTest
    @ValueSource(strings = {"Dockerfile", "Dockerfile.cpu"})
    void copySources_existAndPassTheDockerignore(String dockerfile) throws IOException {
        List<String> allowed = Files.readAllLines(ROOT.resolve("docker").resolve(dockerfile + ".dockerignore"))
                .stream().filter(l -> l.startsWith("!")).map(l -> l.substring(1)).toList();
        List<String> problems = new ArrayList<>();
        for (String line : lines(dockerfile)) {
            if (!line.startsWith("COPY ") || line.contains("--from=")) {
                continue;
            }
            String source = line.split("\\s+")[1];
            boolean present = Files.exists(ROOT.resolve(source))
                    // config/ belongs to the gateway and arrives with it.
                    || source.startsWith("config/") && !Files.isDirectory(ROOT.resolve("config"));
            boolean passes = allowed.stream().anyMatch(a -> a.equals(source) || a.equals(source + "/")
                    || a.endsWith("/") && source.startsWith(a));
            if (!present || !passes) {
                problems.add(source + (present ? "" : " (missing)") + (passes ? "" : " (excluded by .dockerignore)"));
            }
        }
        assertThat(problems).isEmpty();
    }
}
