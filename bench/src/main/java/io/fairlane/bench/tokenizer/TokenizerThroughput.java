package io.fairlane.bench.tokenizer;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.fairlane.engine.tokenizer.BuiltinTokenizer;
import io.fairlane.engine.tokenizer.Tokenizer;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Measures encode throughput (tokens per second) on a long text, and load time, for the fetched real
 * tokenizers and the built-in one. Run by {@code bench/tokenizer-throughput.sh}; figures go to
 * {@code docs/tokenizer.md}. A plain timed loop after warm-up, measured in the thread's CPU time so that a
 * busy shared machine does not distort it: enough to see the order of magnitude that matters on the request
 * path (a 30k-token prompt), not a microbenchmark.
 *
 * <pre>TokenizerThroughput [PACKAGES_DIR [CORPUS_JSON]]</pre>
 * PACKAGES_DIR holds the fetched tokenizer packages (default {@code gateway-engine/target/tokenizer-packages}),
 * CORPUS_JSON the tokenizer goldens' corpus, a JSON array of strings (default
 * {@code gateway-engine/src/test/resources/tokenizer/corpus.json}); both relative to the project root.
 */
public final class TokenizerThroughput {

    private TokenizerThroughput() {
    }

    public static void main(String[] args) throws IOException {
        Path packages = Path.of(args.length > 0 ? args[0] : "gateway-engine/target/tokenizer-packages");
        Path corpus = Path.of(args.length > 1 ? args[1] : "gateway-engine/src/test/resources/tokenizer/corpus.json");
        int targetChars = 400_000;
        String text = longText(corpus, targetChars);
        System.out.printf(Locale.ROOT, "text: %,d chars; %s; %d cores%n", text.length(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                Runtime.getRuntime().availableProcessors());
        System.out.printf(Locale.ROOT, "%-12s %12s %10s %14s %12s %14s%n", "tokenizer", "load cpu ms", "tokens",
                "tokens/cpu-s", "MB/cpu-s", "cold tok/cpu-s");
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();
        for (String name : List.of("llama3", "qwen3", "deepseek_v3", "llama2", "gemma3", "builtin")) {
            Path file = packages.resolve(name).resolve("package/models/tokenizer.json");
            long t0 = cpu.getCurrentThreadCpuTime();
            Tokenizer t;
            if (name.equals("builtin")) {
                t = BuiltinTokenizer.tokenizer();
            } else if (file.toFile().isFile()) {
                t = Tokenizer.load(file);
            } else {
                System.out.printf("%-12s not fetched (%s)%n", name, file);
                continue;
            }
            long loadNanos = cpu.getCurrentThreadCpuTime() - t0;
            // cold: first encode after load, word cache empty (what the first long prompt pays)
            long c0 = cpu.getCurrentThreadCpuTime();
            int tokens = t.encode(text, false).length;
            double coldSeconds = (cpu.getCurrentThreadCpuTime() - c0) / 1e9;
            for (int i = 0; i < 3; i++) {
                t.encode(text, false);
            }
            int rounds = 5;
            long s0 = cpu.getCurrentThreadCpuTime();
            for (int i = 0; i < rounds; i++) {
                tokens = t.encode(text, false).length;
            }
            double seconds = (cpu.getCurrentThreadCpuTime() - s0) / 1e9 / rounds;
            System.out.printf(Locale.ROOT, "%-12s %12.0f %10d %14.0f %12.1f %14.0f%n", name, loadNanos / 1e6, tokens,
                    tokens / seconds, text.length() / seconds / 1e6, tokens / coldSeconds);
        }
    }

    /** The golden corpus repeated (varied by a counter so the word cache does not see only repeats). */
    static String longText(Path corpusFile, int chars) throws IOException {
        String corpus = String.join("\n", new ObjectMapper().readValue(corpusFile.toFile(),
                new TypeReference<List<String>>() { }));
        StringBuilder sb = new StringBuilder(chars + corpus.length());
        for (int i = 0; sb.length() < chars; i++) {
            sb.append("Section ").append(i).append(": ").append(corpus).append("\n\n");
        }
        return sb.toString();
    }
}
