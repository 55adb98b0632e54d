package io.fairlane.gateway.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentSkipListSet;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Kill -9 in the middle of writing: a child JVM ({@link CrashingWriter}) writes blobs and commits rows in a loop
 * and reports each commit; the test sends it SIGKILL at a random moment, reopens the store, and checks that
 * <ul>
 *   <li>every commit the child reported is there: its rows, all of them, and its blob, whole;</li>
 *   <li>nothing partial is visible: every row that is there has all its detail rows and a whole blob, and every
 *       blob the store lists reads back whole; at most one blob (written, its row not yet committed) and one row
 *       (committed, not yet reported) are beyond what was reported.</li>
 * </ul>
 * The kill points differ per run (a base delay after the first commit, plus up to 400 ms chosen at random and
 * printed), so the kill lands in blob writes, chunk inserts, commits and renames across runs.
 */
abstract class CrashContract {

    private static final long FIRST_COMMIT_TIMEOUT_SECONDS = 60;

    /** The backend under test. */
    abstract StoreBackend backend();

    /** The child's arguments for {@code settings}. */
    abstract List<String> childArguments(StoreSettings settings);

    @ParameterizedTest(name = "kill {0} ms after the first commit, plus a random delay")
    @ValueSource(ints = {50, 600, 1400})
    void kill9WhileWriting_keepsEveryReportedCommitAndShowsNothingPartial(int baseDelayMillis) throws Exception {
        StoreSettings settings = backend().newStore();
        int delay = baseDelayMillis + ThreadLocalRandom.current().nextInt(400);
        Child child = Child.start(childArguments(settings), backend().environment());
        long reported;
        try {
            child.awaitFirstCommit();
            Thread.sleep(delay);
        } finally {
            child.kill();
        }
        assertThat(child.exitCode()).as("the child was killed by SIGKILL, not stopped by an error:\n%s",
                child.outputTail()).isEqualTo(137);
        reported = child.lastCommitted();

        List<String> problems;
        int rows;
        try (Database db = backend().open(settings)) {
            problems = new ArrayList<>();
            Map<Integer, Item> items = items(db);
            rows = items.size();
            check(db, reported, items, problems);
        }
        System.out.printf("crash test (%s): killed %d ms after the first commit, %d commits reported, %d rows%n",
                settings.getClass().getSimpleName(), delay, reported, rows);
        assertThat(problems).as("after kill -9 at commit %d (%d ms)", reported, delay).isEmpty();
    }

    private record Item(int n, String blobId, String sha256, long size, int parts, boolean partsRight) {
    }

    private static void check(Database db, long reported, Map<Integer, Item> items, List<String> problems)
            throws Exception {
        for (int n = 1; n <= reported; n++) {
            if (!items.containsKey(n)) {
                problems.add("commit " + n + " was reported but its row is missing");
            }
        }
        for (int n : items.keySet()) {
            if (n > reported + 1) {
                problems.add("row " + n + " exists, but only " + reported + " commits were reported");
            }
        }
        BlobStore blobs = db.blobs();
        Set<String> referenced = new HashSet<>();
        for (Item item : items.values()) {
            referenced.add(item.blobId());
            if (item.parts() != 3 || !item.partsRight()) {
                problems.add("row " + item.n() + " has " + item.parts() + " of its 3 detail rows (or wrong values)");
            }
            String expected = BlobStoreContract.patternSha256(item.n(), CrashingWriter.sizeOf(item.n()));
            if (!expected.equals(item.sha256())) {
                problems.add("row " + item.n() + " records SHA-256 " + item.sha256() + ", expected " + expected);
            }
            try (InputStream in = blobs.open(item.blobId())) {
                if (!BlobStoreContract.sha256Of(in).equals(expected)) {
                    problems.add("blob of row " + item.n() + " reads back different content");
                }
            } catch (IOException e) {
                problems.add("blob of row " + item.n() + " cannot be read: " + e);
            }
        }
        int unreferenced = 0;
        for (Blob blob : allBlobs(blobs)) {
            try (InputStream in = blobs.open(blob.id())) {
                BlobStoreContract.sha256Of(in); // throws if not whole
            } catch (IOException e) {
                problems.add("listed blob " + blob.id() + " is not whole: " + e.getMessage());
            }
            if (!referenced.contains(blob.id())) {
                unreferenced++;
            }
        }
        if (unreferenced > 1) {
            problems.add(unreferenced + " blobs without a row; only the one being recorded at the kill may be");
        }
    }

    private static List<Blob> allBlobs(BlobStore blobs) throws IOException {
        List<Blob> all = new ArrayList<>();
        for (List<Blob> page = blobs.list("", 100); !page.isEmpty(); page = blobs.list(page.getLast().id(), 100)) {
            all.addAll(page);
        }
        return all;
    }

    private static Map<Integer, Item> items(Database db) {
        if (db.migratedVersion("crash") == 0) {
            return Map.of(); // killed before it migrated
        }
        return db.read(c -> {
            Map<Integer, Item> items = new HashMap<>();
            try (Statement s = c.createStatement();
                 ResultSet rows = s.executeQuery("SELECT n, blob_id, sha256, size FROM crash_items")) {
                while (rows.next()) {
                    items.put(rows.getInt(1), new Item(rows.getInt(1), rows.getString(2), rows.getString(3),
                            rows.getLong(4), 0, false));
                }
            }
            try (PreparedStatement parts = c.prepareStatement(
                    "SELECT COUNT(*), SUM(CASE WHEN amount = n * 10 + part THEN 1 ELSE 0 END) FROM crash_parts "
                            + "WHERE n = ?")) {
                for (Map.Entry<Integer, Item> entry : items.entrySet()) {
                    parts.setInt(1, entry.getKey());
                    try (ResultSet rows = parts.executeQuery()) {
                        rows.next();
                        Item item = entry.getValue();
                        entry.setValue(new Item(item.n(), item.blobId(), item.sha256(), item.size(), rows.getInt(1),
                                rows.getInt(2) == rows.getInt(1)));
                    }
                }
            }
            return items;
        });
    }

    /** The child JVM, with what it printed. */
    private static final class Child {
        private final Process process;
        private final ConcurrentSkipListSet<Integer> committed = new ConcurrentSkipListSet<>();
        private final CountDownLatch firstCommit = new CountDownLatch(1);
        private final Deque<String> tail = new ArrayDeque<>();
        private final Thread reader;

        private Child(Process process) {
            this.process = process;
            this.reader = Thread.ofPlatform().daemon().name("crash-child-output").start(this::readOutput);
        }

        static Child start(List<String> arguments, Map<String, String> environment) throws IOException {
            List<String> command = new ArrayList<>(List.of(
                    Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "--enable-native-access=ALL-UNNAMED", "-Xmx256m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1",
                    "-Xshare:auto", "-cp", System.getProperty("java.class.path"), CrashingWriter.class.getName()));
            command.addAll(arguments);
            ProcessBuilder builder = new ProcessBuilder(command).redirectErrorStream(true);
            builder.environment().putAll(environment);
            return new Child(builder.start());
        }

        private void readOutput() {
            try (BufferedReader lines = new BufferedReader(
                    new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                for (String line; (line = lines.readLine()) != null; ) {
                    if (line.startsWith("committed ")) {
                        committed.add(Integer.parseInt(line.substring("committed ".length()).strip()));
                        firstCommit.countDown();
                    } else {
                        synchronized (tail) {
                            tail.addLast(line);
                            if (tail.size() > 40) {
                                tail.removeFirst();
                            }
                        }
                    }
                }
            } catch (IOException | NumberFormatException e) {
                synchronized (tail) {
                    tail.addLast("(reading the child's output failed: " + e + ")");
                }
            }
        }

        void awaitFirstCommit() throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(FIRST_COMMIT_TIMEOUT_SECONDS);
            while (!firstCommit.await(100, TimeUnit.MILLISECONDS)) {
                if (!process.isAlive() || System.nanoTime() > deadline) {
                    throw new AssertionError("the child never committed (exit " + (process.isAlive() ? "none"
                            : process.exitValue()) + "):\n" + outputTail());
                }
            }
        }

        /** SIGKILL: {@code destroyForcibly} on Unix sends signal 9, which the JVM cannot catch or delay. */
        void kill() throws InterruptedException {
            process.destroyForcibly();
            process.waitFor(30, TimeUnit.SECONDS);
            reader.join(TimeUnit.SECONDS.toMillis(10)); // all reported commits read before the check
        }

        int exitCode() {
            return process.exitValue();
        }

        long lastCommitted() {
            // Commits are reported in order, each after the one before; the set has no gaps.
            return committed.isEmpty() ? 0 : committed.last();
        }

        String outputTail() {
            synchronized (tail) {
                return String.join("\n", tail);
            }
        }
    }
}
