package io.fairlane.bench.structured;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import io.fairlane.engine.EngineConfig;
import io.fairlane.engine.Engines;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.SamplingParams;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import io.fairlane.engine.grammar.Grammar;
import io.fairlane.engine.grammar.GrammarMatcher;
import io.fairlane.engine.grammar.Grammars;
import io.fairlane.engine.grammar.SchemaException;
import io.fairlane.engine.grammar.VocabularyIndex;
import io.fairlane.engine.model.SyntheticModels;
import io.fairlane.engine.sampling.ConstraintVocabulary;
import io.fairlane.engine.tokenizer.Tokenizer;
import io.fairlane.scheduler.Policy;
import io.fairlane.scheduler.SchedulerStats;
import io.fairlane.scheduler.ServiceTier;
import io.fairlane.scheduler.TenantSpec;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Structured-output benchmark (JSON Schema constrained decoding) on Qwen3's 151k-token vocabulary, one core:
 *
 * <ol>
 *   <li>compile: each corpus schema compiled once per round (made unique per round by a {@code $comment}, so the
 *       grammar cache misses), after a warm-up round; p50 / p90 / max;</li>
 *   <li>mask: a random "model" (a uniform pick among the allowed tokens; with probability 1/4, rising to 1 over
 *       the first 2,000 tokens, one of the closing quote, bracket and brace that are allowed: a model that
 *       wraps up, so that recursive schemas end) writes one output per schema and seed; every {@code GrammarMatcher.fillAllowed} is
 *       timed. Pass 1 starts with no mask computed in this process (cold: includes every state's first walk of
 *       the vocabulary trie); pass 2 writes new outputs for the same schemas (warm). Every output that ends is
 *       validated with networknt's validator, format assertions on;</li>
 *   <li>throughput: decode tokens per second of a synthetic model with Qwen3's tokenizer on the CPU backend
 *       (one worker thread), sampled at temperature 1, with a schema and without, batch 1 and 16.</li>
 * </ol>
 */
public final class StructuredBench {

    static final ObjectMapper JSON = new ObjectMapper();

    record Entry(String name, boolean strict, String schema) {
    }

    public static void main(String[] args) throws Exception {
        Map<String, String> opt = new HashMap<>(Map.of("schemas", "100000", "seeds", "2", "shape", "tiny-qwen3",
                "tokens", "96", "rounds", "3", "maxTokens", "8000"));
        boolean throughput = true;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--skip-throughput")) {
                throughput = false;
            } else {
                opt.put(args[i].substring(2), args[++i]);
            }
        }
        Path models = Path.of("gateway-engine/target/tokenizer-packages/qwen3/package/models");
        Tokenizer tokenizer = Tokenizer.load(models.resolve("tokenizer.json"));
        int eos = tokenizer.tokenId("<|im_end|>").orElseThrow();
        List<Entry> corpus = corpus(Path.of("gateway-engine/src/test/resources/structured"));
        corpus = corpus.subList(0, Math.min(corpus.size(), Integer.parseInt(opt.get("schemas"))));
        System.out.printf("# structured outputs: %d schemas, Qwen3 tokenizer (%d ids), %s, %d cores visible%n",
                corpus.size(), tokenizer.vocabSize(), Runtime.version(), Runtime.getRuntime().availableProcessors());

        compileTimes(corpus);

        long t0 = System.nanoTime();
        ConstraintVocabulary vocabulary = ConstraintVocabulary.of(tokenizer.vocabSize(), tokenizer::tokenBytes,
                tokenizer::isSpecial, List.of(eos));
        VocabularyIndex index = vocabulary.grammarIndex();
        System.out.printf("%nvocabulary index (token trie): %s, built in %.0f ms%n", index,
                (System.nanoTime() - t0) / 1e6);
        int seeds = Integer.parseInt(opt.get("seeds"));
        int maxTokens = Integer.parseInt(opt.get("maxTokens"));
        masks("pass 1 (cold: first visit of every state computes its mask)", corpus, tokenizer, index, 0, seeds,
                maxTokens);
        masks("pass 2 (warm: new outputs, masks computed so far kept)", corpus, tokenizer, index, 1000, seeds,
                maxTokens);

        if (throughput) {
            throughput(models, opt.get("shape"), Integer.parseInt(opt.get("tokens")),
                    Integer.parseInt(opt.get("rounds")));
        }
    }

    static List<Entry> corpus(Path dir) throws Exception {
        List<Entry> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(dir.resolve("handwritten"))) {
            for (Path f : files.filter(p -> p.toString().endsWith(".json")).sorted().toList()) {
                JsonNode n = JSON.readTree(f.toFile());
                out.add(new Entry(n.get("name").asText(), n.get("strict").asBoolean(), n.get("schema").toString()));
            }
        }
        for (String line : Files.readAllLines(dir.resolve("generated.jsonl"))) {
            if (!line.isBlank()) {
                JsonNode n = JSON.readTree(line);
                out.add(new Entry(n.get("name").asText(), n.get("strict").asBoolean(), n.get("schema").toString()));
            }
        }
        return out;
    }

    static String unique(Entry e, String tag) throws Exception {
        ObjectNode root = (ObjectNode) JSON.readTree(e.schema());
        root.put("$comment", tag);
        return root.toString();
    }

    // ---- compile

    static void compileTimes(List<Entry> corpus) throws Exception {
        long[] times = new long[corpus.size()];
        int refused = 0;
        for (int round = 0; round < 2; round++) {
            for (int i = 0; i < corpus.size(); i++) {
                Entry e = corpus.get(i);
                OutputConstraint c = new OutputConstraint.JsonSchema(e.name(), unique(e, "bench round " + round),
                        e.strict());
                long t = System.nanoTime();
                try {
                    Grammars.compile(c);
                } catch (SchemaException x) {
                    if (round == 1) {
                        refused++;
                        System.out.println("refused " + e.name() + ": " + x.getMessage());
                    }
                }
                times[i] = System.nanoTime() - t;
            }
        }
        long[] sorted = times.clone();
        Arrays.sort(sorted);
        System.out.printf("%ncompile (after a warm-up round), %d schemas, %d refused: p50 %.2f ms, p90 %.2f ms, "
                        + "max %.1f ms, mean %.2f ms%n", corpus.size(), refused, pct(sorted, 0.5) / 1e6,
                pct(sorted, 0.9) / 1e6, sorted[sorted.length - 1] / 1e6,
                Arrays.stream(times).average().orElse(0) / 1e6);
    }

    // ---- masks

    static void masks(String title, List<Entry> corpus, Tokenizer tokenizer, VocabularyIndex index, int seedBase,
                      int seeds, int maxTokens) throws Exception {
        var factory = JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V202012);
        var config = SchemaValidatorsConfig.builder().formatAssertionsEnabled(true).build();
        long[] bits = new long[index.words()];
        long[] times = new long[1 << 16];
        long[] cpu = new long[1 << 16];
        var threads = java.lang.management.ManagementFactory.getThreadMXBean();
        int n = 0;
        int outputs = 0;
        int ended = 0;
        int valid = 0;
        List<String> invalid = new ArrayList<>();
        List<String> unended = new ArrayList<>();
        int[] closers = {'"', ']', '}'};
        for (int k = 0; k < closers.length; k++) {
            closers[k] = tokenizer.tokenId(String.valueOf((char) closers[k])).orElse(-1);
        }
        for (Entry e : corpus) {
            Grammar g = Grammars.compile(new OutputConstraint.JsonSchema(e.name(), e.schema(), e.strict()));
            for (int s = 0; s < seeds; s++) {
                GrammarMatcher m = new GrammarMatcher(g, index);
                SplittableRandom r = new SplittableRandom(seedBase + s * 100_003L + e.name().hashCode());
                ByteArrayOutputStream out = new ByteArrayOutputStream();
                boolean done = false;
                for (int step = 0; step < maxTokens; step++) {
                    long c0 = threads.getCurrentThreadCpuTime();
                    long t = System.nanoTime();
                    int count = m.fillAllowed(bits);
                    t = System.nanoTime() - t;
                    long spent = threads.getCurrentThreadCpuTime() - c0;
                    if (n == times.length) {
                        times = Arrays.copyOf(times, n * 2);
                        cpu = Arrays.copyOf(cpu, n * 2);
                    }
                    cpu[n] = spent;
                    times[n++] = t;
                    if (m.complete() && (count == 0 || r.nextInt(2) == 0)) {
                        done = true;
                        break;
                    }
                    if (count == 0) {
                        break;
                    }
                    int pick = nth(bits, r.nextInt(count));
                    // A model that wraps up: the longer the output, the likelier it closes what is open.
                    double wrapUp = 0.25 + 0.75 * Math.min(1.0, step / 2000.0);
                    if (r.nextDouble() < wrapUp) {
                        int allowed = 0;
                        int[] open = new int[closers.length];
                        for (int c : closers) {
                            if (c >= 0 && (bits[c >>> 6] >>> c & 1) != 0) {
                                open[allowed++] = c;
                            }
                        }
                        if (allowed > 0) {
                            pick = open[r.nextInt(allowed)];
                        }
                    }
                    byte[] b = tokenizer.tokenBytes(pick);
                    if (!m.advance(b, 0)) {
                        throw new IllegalStateException(e.name() + ": the mask allowed a token the matcher refuses");
                    }
                    out.writeBytes(b);
                }
                outputs++;
                if (!done) {
                    unended.add(e.name());
                }
                if (done) {
                    ended++;
                    String text = out.toString(StandardCharsets.UTF_8);
                    var problems = factory.getSchema(JSON.readTree(e.schema()), config).validate(JSON.readTree(text));
                    if (problems.isEmpty()) {
                        valid++;
                    } else {
                        invalid.add(e.name() + ": " + problems + " " + text);
                    }
                }
            }
        }
        long[] sorted = Arrays.copyOf(times, n);
        Arrays.sort(sorted);
        long[] sortedCpu = Arrays.copyOf(cpu, n);
        Arrays.sort(sortedCpu);
        System.out.printf("%nmask %s%n  %d masks (tokens)%n", title, n);
        System.out.printf("  wall time:   mean %.1f us, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f ms%n",
                Arrays.stream(sorted).average().orElse(0) / 1e3, pct(sorted, 0.5) / 1e3, pct(sorted, 0.99) / 1e3,
                pct(sorted, 0.999) / 1e3, sorted[n - 1] / 1e6);
        System.out.printf("  thread CPU:  mean %.1f us, p50 %.1f us, p99 %.1f us, p99.9 %.1f us, max %.1f ms"
                        + " (not counting time other processes held the core)%n",
                Arrays.stream(sortedCpu).average().orElse(0) / 1e3, pct(sortedCpu, 0.5) / 1e3,
                pct(sortedCpu, 0.99) / 1e3, pct(sortedCpu, 0.999) / 1e3, sortedCpu[n - 1] / 1e6);
        System.out.printf("  outputs %d, ended within %d tokens %d, valid %d (%.1f%% of ended)%n", outputs,
                maxTokens, ended, valid, 100.0 * valid / Math.max(1, ended));
        invalid.stream().limit(5).forEach(x -> System.out.println("  INVALID " + x));
        if (!unended.isEmpty()) {
            System.out.println("  not ended: " + unended);
        }
    }

    static int nth(long[] bits, int k) {
        for (int w = 0; w < bits.length; w++) {
            int c = Long.bitCount(bits[w]);
            if (k < c) {
                long word = bits[w];
                for (int j = 0; j < k; j++) {
                    word &= word - 1;
                }
                return (w << 6) + Long.numberOfTrailingZeros(word);
            }
            k -= c;
        }
        throw new IllegalStateException("fewer bits than counted");
    }

    static double pct(long[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) (p * sorted.length))];
    }

    // ---- decode throughput

    static final String THROUGHPUT_SCHEMA = "{\"type\":\"object\",\"properties\":{\"title\":{\"type\":\"string\"},"
            + "\"authors\":{\"type\":\"array\",\"items\":{\"type\":\"string\"}},\"year\":{\"type\":\"integer\","
            + "\"minimum\":1900,\"maximum\":2100},\"abstract\":{\"type\":\"string\"}},\"required\":[\"title\","
            + "\"authors\",\"year\",\"abstract\"],\"additionalProperties\":false}";

    static void throughput(Path tokenizerDir, String shape, int tokens, int rounds) throws Exception {
        Path root = Path.of("target", "bench-structured");
        Path model = SyntheticModels.materialize(shape, "bf16", 7, tokenizerDir, root.resolve(shape + "-qwen3tok"));
        EngineConfig config = new EngineConfig("bench", new EngineConfig.ModelSource.Directory(model), "cpu",
                List.of(), 16, 256L << 20, 0.9, 4096, 16, 1, new Policy.Fcfs(), List.of(TenantSpec.of("bench", 1)));
        System.out.printf("%ndecode throughput: %s with Qwen3's tokenizer, CPU backend, 1 worker thread, %d tokens"
                + " per request, temperature 1; best of %d rounds, runs interleaved%n", shape, tokens, rounds);
        try (InferenceEngine engine = Engines.open(config, SchedulerStats.disabled())) {
            PreparedPrompt prompt = engine.prepare(new Prompt.Text("Describe a paper about constrained decoding."));
            OutputConstraint schema = new OutputConstraint.JsonSchema("paper", THROUGHPUT_SCHEMA, true);
            run(engine, prompt, null, 1, tokens); // warm-up: JIT and first masks
            run(engine, prompt, schema, 1, tokens);
            run(engine, prompt, schema, 16, tokens);
            for (int batch : new int[] {1, 16}) {
                double free = 0;
                double constrained = 0;
                for (int r = 0; r < rounds; r++) {
                    free = Math.max(free, run(engine, prompt, null, batch, tokens));
                    constrained = Math.max(constrained, run(engine, prompt, schema, batch, tokens));
                }
                System.out.printf("  batch %2d: unconstrained %.1f tok/s, with schema %.1f tok/s (%.0f%%)%n", batch,
                        free, constrained, 100 * constrained / free);
            }
        }
    }

    static final AtomicLong IDS = new AtomicLong();

    /** Runs {@code batch} requests at once; returns output tokens per second of wall time. */
    static double run(InferenceEngine engine, PreparedPrompt prompt, OutputConstraint c, int batch, int tokens)
            throws InterruptedException {
        CountDownLatch done = new CountDownLatch(batch);
        AtomicLong produced = new AtomicLong();
        long start = System.nanoTime();
        for (int i = 0; i < batch; i++) {
            SamplingParams p = new SamplingParams(1.0, 1, 0, 0, OptionalLong.of(IDS.get()), 0, 0, Map.of(), false, 0,
                    tokens, List.of(), c == null, c);
            TokenSink sink = event -> {
                if (event instanceof TokenEvent.Token) {
                    produced.incrementAndGet();
                } else if (event instanceof TokenEvent.Finished || event instanceof TokenEvent.Failed) {
                    if (event instanceof TokenEvent.Failed f) {
                        System.out.println("failed: " + f.error().getMessage());
                    }
                    done.countDown();
                }
            };
            engine.submit(new GenerationRequest("b" + IDS.incrementAndGet(), "bench", ServiceTier.DEFAULT, "bench",
                    prompt, p, 1), sink);
        }
        done.await();
        return produced.get() / ((System.nanoTime() - start) / 1e9);
    }
}
