package io.fairlane.gateway.http;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/** The preparation threads' lower CPU priority, read back from the kernel. */
class BackgroundPriorityTest {

    /** The nice value of the calling thread, from the 19th field of /proc/thread-self/stat. */
    private static int niceOfThisThread() throws Exception {
        String stat = Files.readString(Path.of("/proc/thread-self/stat"));
        String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Integer.parseInt(fields[16]);
    }

    @Test
    void lowerCurrentThread_onLinux_setsTheThreadsNiceValue() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/thread-self/stat")), "skipped: not Linux (no /proc)");
        AtomicReference<String> seen = new AtomicReference<>();
        Thread t = Thread.ofPlatform().start(() -> {
            try {
                boolean lowered = BackgroundPriority.lowerCurrentThread();
                seen.set(lowered + " " + niceOfThisThread());
            } catch (Exception e) {
                seen.set(e.toString());
            }
        });
        t.join();

        assertThat(seen.get()).isEqualTo("true " + BackgroundPriority.NICE);
    }

    @Test
    void lowerCurrentThread_leavesOtherThreadsAlone() throws Exception {
        Assumptions.assumeTrue(Files.exists(Path.of("/proc/thread-self/stat")), "skipped: not Linux (no /proc)");
        int before = niceOfThisThread();
        Thread t = Thread.ofPlatform().start(BackgroundPriority::lowerCurrentThread);
        t.join();

        assertThat(niceOfThisThread()).isEqualTo(before);
    }
}
