package io.fairlane.engine.tools;

import io.fairlane.engine.model.DType;
import io.fairlane.engine.model.Model;
import io.fairlane.engine.model.ModelConfig;
import io.fairlane.engine.model.ModelFormatException;
import io.fairlane.engine.model.ModelShape;
import io.fairlane.engine.model.SyntheticModels;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * {@code ./fairlane model <command>}:
 * <pre>
 *   synth --shape NAME --tokenizer DIR --out DIR [--dtype bf16|f32] [--seed N] [--max-shard-size BYTES] [--threads N]
 *   shapes                   list the synthetic shapes
 *   inspect DIR              describe a model directory (config, tensors, bytes)
 * </pre>
 * Exit status: 0 done, 1 failed, 2 bad usage.
 */
public final class ModelCli {

    static final String USAGE = """
            usage: fairlane model <command> [options]
              synth --shape NAME --tokenizer DIR --out DIR [--dtype bf16|f32] [--seed N]
                    [--max-shard-size BYTES] [--threads N]
                                        write a random-weight model directory of a named shape, with the
                                        tokenizer files of DIR (whose vocabulary sets the model's)
              shapes                    list the shapes synth knows
              inspect DIR               describe a model directory
            """;

    private ModelCli() {
    }

    public static void main(String[] args) {
        int code = run(args, System.out, System.err);
        if (code != 0) {
            System.exit(code);
        }
    }

    /** Runs a command; returns the exit status. */
    static int run(String[] args, PrintStream out, PrintStream err) {
        if (args.length == 0 || args[0].equals("help") || args[0].equals("--help") || args[0].equals("-h")) {
            (args.length == 0 ? err : out).print(USAGE);
            return args.length == 0 ? 2 : 0;
        }
        String command = args[0];
        List<String> rest = List.of(args).subList(1, args.length);
        try {
            return switch (command) {
                case "synth" -> synth(Options.parse(rest, Set.of("shape", "tokenizer", "out", "dtype", "seed",
                        "max-shard-size", "threads")), out);
                case "shapes" -> shapes(out);
                case "inspect" -> inspect(rest, out);
                default -> throw new UsageException("unknown command '" + command + "'");
            };
        } catch (UsageException e) {
            err.println("fairlane model: " + e.getMessage());
            err.print(USAGE);
            return 2;
        } catch (IllegalArgumentException | ModelFormatException | UncheckedIOException e) {
            err.println("fairlane model: " + e.getMessage());
            return 1;
        }
    }

    private static int synth(Options o, PrintStream out) {
        String shape = o.required("shape");
        ModelShape s = ModelShape.find(shape).orElseThrow(() -> new UsageException("unknown shape '" + shape
                + "' (run 'fairlane model shapes')"));
        DType dtype;
        try {
            dtype = DType.parse(o.get("dtype", "bf16"));
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
        long seed = o.longValue("seed", 0);
        Path tokenizer = Path.of(o.required("tokenizer"));
        Path dir = Path.of(o.required("out"));
        long shard = o.longValue("max-shard-size", SyntheticModels.DEFAULT_MAX_SHARD_BYTES);
        int threads = (int) o.longValue("threads", Runtime.getRuntime().availableProcessors());
        if (shard <= 0 || threads <= 0) {
            throw new UsageException("--max-shard-size and --threads must be positive");
        }
        long start = System.nanoTime();
        SyntheticModels.materialize(s, dtype, seed, tokenizer, dir, new SyntheticModels.Options(shard, threads));
        ModelConfig c = ModelConfig.load(dir);
        out.printf(Locale.ROOT, "wrote %s: %s %s, %,d parameters, vocab %d, seed %d (%.1f s)%n", dir, s.name(),
                dtype.cliName(), c.parameterCount(), c.vocabSize(), seed, (System.nanoTime() - start) / 1e9);
        return 0;
    }

    private static int shapes(PrintStream out) {
        out.printf(Locale.ROOT, "%-14s %-8s %7s %7s %6s %6s %4s %5s %s%n", "shape", "family", "hidden", "mlp",
                "layers", "heads", "kv", "head", "notes");
        for (ModelShape s : ModelShape.all()) {
            List<String> notes = new ArrayList<>();
            if (s.tiedEmbeddings()) {
                notes.add("tied");
            }
            if (s.slidingWindow() > 0) {
                notes.add("window " + s.slidingWindow());
            }
            if (!(s.ropeScaling() instanceof io.fairlane.engine.model.RopeScaling.None)) {
                notes.add("rope " + s.ropeScaling().getClass().getSimpleName().toLowerCase(Locale.ROOT));
            }
            out.printf(Locale.ROOT, "%-14s %-8s %7d %7d %6d %6d %4d %5d %s%n", s.name(), s.family().modelType(),
                    s.hiddenSize(), s.intermediateSize(), s.layers(), s.heads(), s.kvHeads(), s.headDim(),
                    String.join(", ", notes));
        }
        return 0;
    }

    private static int inspect(List<String> args, PrintStream out) {
        if (args.size() != 1) {
            throw new UsageException("inspect takes one model directory");
        }
        try (Model m = Model.open(Path.of(args.getFirst()))) {
            ModelConfig c = m.config();
            out.printf(Locale.ROOT, "%s%n", m.directory());
            out.printf(Locale.ROOT, "  family %s, %d layers, hidden %d, mlp %d, heads %d (kv %d, dim %d), vocab %d%n",
                    c.family().modelType(), c.layers(), c.hiddenSize(), c.intermediateSize(), c.heads(), c.kvHeads(),
                    c.headDim(), c.vocabSize());
            out.printf(Locale.ROOT, "  context %d, rope theta %.0f, scaling %s, tied %s, qkv bias %s, qk norm %s,"
                            + " window %d%n", c.contextLength(), c.ropeTheta(), c.ropeScaling(), c.tiedEmbeddings(),
                    c.qkvBias(), c.qkNorm(), c.slidingWindow());
            out.printf(Locale.ROOT, "  eos %s, bos %d%n", c.eosTokenIds(), c.bosTokenId());
            out.printf(Locale.ROOT, "  %,d parameters; %d tensors, %,d bytes in %d file(s)%n", c.parameterCount(),
                    m.files().names().size(), m.files().totalBytes(), m.files().files().size());
        }
        return 0;
    }

    /** A command-line mistake: reported with the usage text and exit status 2. */
    static final class UsageException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    /** {@code --name value} options. */
    record Options(Map<String, String> values) {

        static Options parse(List<String> args, Set<String> known) {
            Map<String, String> v = new HashMap<>();
            for (int i = 0; i < args.size(); i++) {
                String a = args.get(i);
                if (!a.startsWith("--")) {
                    throw new UsageException("unexpected argument '" + a + "'");
                }
                String name = a.substring(2);
                String value;
                int eq = name.indexOf('=');
                if (eq >= 0) {
                    value = name.substring(eq + 1);
                    name = name.substring(0, eq);
                } else {
                    if (i + 1 >= args.size()) {
                        throw new UsageException("--" + name + " needs a value");
                    }
                    value = args.get(++i);
                }
                if (!known.contains(name)) {
                    throw new UsageException("unknown option --" + name);
                }
                v.put(name, value);
            }
            return new Options(v);
        }

        String required(String name) {
            String s = values.get(name);
            if (s == null) {
                throw new UsageException("--" + name + " is required");
            }
            return s;
        }

        String get(String name, String fallback) {
            return values.getOrDefault(name, fallback);
        }

        long longValue(String name, long fallback) {
            String s = values.get(name);
            if (s == null) {
                return fallback;
            }
            try {
                return Long.parseLong(s);
            } catch (NumberFormatException e) {
                throw new UsageException("--" + name + " must be an integer, was '" + s + "'");
            }
        }
    }
}
