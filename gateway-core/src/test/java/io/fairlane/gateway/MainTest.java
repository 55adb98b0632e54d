package io.fairlane.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.ResourceLeakDetector;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class MainTest {

    private static String run(List<String> args, String stdin) throws Exception {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        Main.hashKey(args, new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(out, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream()));
        return out.toString(StandardCharsets.UTF_8).strip();
    }

    @Test
    void hashKey_ofTheDemoKey_isTheOneInTheDefaultConfig() throws Exception {
        assertThat(run(List.of("sk-fairlane-demo"), ""))
                .isEqualTo("sha256:728f8700a188b74a38975bbe181a99d5f950145432c8b37621d7bd258667087f");
    }

    @Test
    void hashKey_readsStdinWithoutItsNewline() throws Exception {
        assertThat(run(List.of(), "sk-fairlane-demo\n")).isEqualTo(run(List.of("sk-fairlane-demo"), ""));
    }

    @Test
    void hashKey_emptyKey_isRefused() throws Exception {
        assertThat(Main.hashKey(List.of(), new ByteArrayInputStream(new byte[0]),
                new PrintStream(new ByteArrayOutputStream()), new PrintStream(new ByteArrayOutputStream()))).isEqualTo(2);
    }

    @Test
    void leakDetector_isOffForAServer_unlessTheJvmFlagAsksForIt() {
        ResourceLeakDetector.Level before = ResourceLeakDetector.getLevel();
        try {
            Properties asked = new Properties();
            asked.setProperty(Main.LEAK_DETECTION, "paranoid");
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.PARANOID);
            assertThat(Main.leakDetection(asked)).isEqualTo(ResourceLeakDetector.Level.PARANOID);
            assertThat(Main.leakDetection(new Properties())).isEqualTo(ResourceLeakDetector.Level.DISABLED);
        } finally {
            ResourceLeakDetector.setLevel(before);
        }
    }
}
