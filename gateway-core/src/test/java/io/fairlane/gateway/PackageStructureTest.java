package io.fairlane.gateway;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.testing.Fixtures;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The layout rules of gateway-core's main sources, read from the sources themselves: no package cycles, an HTTP
 * layer that knows neither the engine nor the scheduler, a {@code package-info.java} in every package, and no
 * class past 600 lines. A package depends on another when one of its files names one of the other's classes
 * (an import or a fully qualified name, Javadoc included: a link is a dependency for the reader too).
 */
class PackageStructureTest {

    private static final Pattern PACKAGE = Pattern.compile("(?m)^package\\s+([\\w.]+);");
    private static final Pattern REFERENCE = Pattern.compile("\\b(io\\.fairlane\\.[\\w.]*?)\\.[A-Z]\\w*");

    private record Source(Path file, String pkg, String text) {
    }

    private static List<Source> sources() {
        Path root = Fixtures.projectRoot().resolve("gateway-core/src/main/java");
        try (Stream<Path> files = Files.walk(root)) {
            return files.filter(p -> p.toString().endsWith(".java")).map(p -> {
                try {
                    String text = Files.readString(p);
                    Matcher m = PACKAGE.matcher(text);
                    return new Source(p, m.find() ? m.group(1) : "", text);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }).toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Package → the io.fairlane packages its files name. */
    private static Map<String, Set<String>> graph() {
        Map<String, Set<String>> g = new TreeMap<>();
        for (Source s : sources()) {
            Set<String> deps = g.computeIfAbsent(s.pkg(), k -> new TreeSet<>());
            Matcher m = REFERENCE.matcher(s.text());
            while (m.find()) {
                if (!m.group(1).equals(s.pkg())) {
                    deps.add(m.group(1));
                }
            }
        }
        return g;
    }

    @Test
    void packages_formNoCycle() {
        assertThat(cycles(graph())).isEmpty();
    }

    @Test
    void httpLayer_namesNoEngineOrSchedulerType() {
        assertThat(graph().get("io.fairlane.gateway.http"))
                .noneMatch(p -> p.startsWith("io.fairlane.engine") || p.startsWith("io.fairlane.scheduler"));
    }

    @Test
    void everyPackage_hasAPackageInfo() {
        Set<String> packages = new TreeSet<>();
        Set<String> documented = new TreeSet<>();
        for (Source s : sources()) {
            packages.add(s.pkg());
            if (s.file().getFileName().toString().equals("package-info.java")) {
                documented.add(s.pkg());
            }
        }
        assertThat(documented).isEqualTo(packages);
    }

    @Test
    void everyClass_isAtMost600Lines() {
        List<String> tooLong = new ArrayList<>();
        for (Source s : sources()) {
            long lines = s.text().lines().count();
            if (lines > 600) {
                tooLong.add(s.file().getFileName() + " (" + lines + " lines)");
            }
        }
        assertThat(tooLong).isEmpty();
    }

    @Test
    void cycles_ofAGraphWithOne_areFound() {
        Map<String, Set<String>> g = Map.of("a", Set.of("b"), "b", Set.of("c"), "c", Set.of("a"), "d", Set.of("a"));

        assertThat(cycles(g)).containsExactly(List.of("a", "b", "c"));
    }

    /** The strongly connected components with more than one package (Tarjan), each sorted. */
    static List<List<String>> cycles(Map<String, Set<String>> g) {
        Map<String, Integer> index = new HashMap<>();
        Map<String, Integer> low = new HashMap<>();
        Deque<String> stack = new ArrayDeque<>();
        Set<String> onStack = new TreeSet<>();
        List<List<String>> out = new ArrayList<>();
        int[] counter = {0};
        for (String v : new TreeSet<>(g.keySet())) {
            if (!index.containsKey(v)) {
                connect(v, g, index, low, stack, onStack, out, counter);
            }
        }
        return out;
    }

    private static void connect(String v, Map<String, Set<String>> g, Map<String, Integer> index,
                                Map<String, Integer> low, Deque<String> stack, Set<String> onStack,
                                List<List<String>> out, int[] counter) {
        index.put(v, counter[0]);
        low.put(v, counter[0]++);
        stack.push(v);
        onStack.add(v);
        for (String w : g.getOrDefault(v, Set.of())) {
            if (!g.containsKey(w)) {
                continue; // another module's package
            }
            if (!index.containsKey(w)) {
                connect(w, g, index, low, stack, onStack, out, counter);
                low.put(v, Math.min(low.get(v), low.get(w)));
            } else if (onStack.contains(w)) {
                low.put(v, Math.min(low.get(v), index.get(w)));
            }
        }
        if (low.get(v).equals(index.get(v))) {
            List<String> component = new ArrayList<>();
            String w;
            do {
                w = stack.pop();
                onStack.remove(w);
                component.add(w);
            } while (!w.equals(v));
            if (component.size() > 1) {
                out.add(component.stream().sorted().toList());
            }
        }
    }
}
