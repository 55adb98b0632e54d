package io.fairlane.gateway;

import io.fairlane.gateway.config.ApiKeyHash;
import io.fairlane.gateway.config.ConfigException;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.ConfigWatcher;
import io.fairlane.gateway.config.FairlaneConfig;
import io.netty.util.ResourceLeakDetector;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import sun.misc.Signal;

/**
 * The command line: {@code serve [--config FILE] [--host ADDRESS] [--port N]}, {@code hash-key [KEY]} and
 * {@code route --config FILE --model M [--tenant T]} (a dry run of a model's routing, {@link RouteCommand}).
 * {@code --host} and {@code --port} override the file's {@code server.host} and {@code server.port} (the
 * container images pass {@code --host 0.0.0.0}).
 *
 * <p>Without {@code --config}, {@code serve} reads {@code $FAIRLANE_CONFIG}, else
 * {@code $FAIRLANE_HOME/config/fairlane.yaml} (the launcher sets {@code FAIRLANE_HOME}), else
 * {@code config/fairlane.yaml} in the working directory, else the default built into the jar. A file is
 * watched and reloaded on change. SIGTERM and SIGINT drain gracefully and exit 0.
 */
public final class Main {

    private static final Logger LOG = LoggerFactory.getLogger(Main.class);
    private static final String BUILT_IN = "io/fairlane/gateway/fairlane.yaml";

    private Main() {
    }

    public static void main(String[] args) throws Exception {
        if (args.length == 0) {
            usage(System.err);
            System.exit(2);
        }
        List<String> rest = List.of(args).subList(1, args.length);
        switch (args[0]) {
            case "serve" -> System.exit(serve(rest));
            case "hash-key" -> System.exit(hashKey(rest, System.in, System.out, System.err));
            case "route" -> System.exit(RouteCommand.run(rest, System.getenv(), System.out, System.err));
            case "help", "-h", "--help" -> usage(System.out);
            default -> {
                System.err.println("fairlane: unknown command '" + args[0] + "'");
                usage(System.err);
                System.exit(2);
            }
        }
    }

    /** The JVM property that sets Netty's buffer leak detector (the older spelling is still read by Netty). */
    static final String LEAK_DETECTION = "io.netty.leakDetection.level";
    private static final String LEAK_DETECTION_OLD = "io.netty.leakDetectionLevel";

    /**
     * A server runs without Netty's buffer leak detector unless {@code -Dio.netty.leakDetection.level} asks for
     * it: at Netty's default ({@code simple}) it records a stack trace for about one buffer in 128, a few per
     * cent of a proxied request's allocation, to find a leak that the tests (run at {@code paranoid}) and the
     * soak benchmark are there to find. Returns the level that applies.
     */
    static ResourceLeakDetector.Level leakDetection(Properties properties) {
        if (properties.getProperty(LEAK_DETECTION) == null && properties.getProperty(LEAK_DETECTION_OLD) == null) {
            ResourceLeakDetector.setLevel(ResourceLeakDetector.Level.DISABLED);
        }
        return ResourceLeakDetector.getLevel();
    }

    private static void usage(PrintStream out) {
        out.println("usage: fairlane serve [--config FILE] [--host ADDRESS] [--port N]");
        out.println("       fairlane hash-key [KEY]      (reads the key from stdin when not given)");
        out.println("       fairlane route --config FILE --model M [--tenant T] [--prompt-tokens N]");
    }

    /** Prints {@code sha256:<hex>} of the key given, or of the first line of stdin. */
    static int hashKey(List<String> args, InputStream in, PrintStream out, PrintStream err) throws IOException {
        String key;
        if (args.size() > 1) {
            err.println("usage: fairlane hash-key [KEY]");
            return 2;
        }
        if (args.size() == 1) {
            key = args.get(0);
        } else {
            String text = new String(in.readAllBytes(), StandardCharsets.UTF_8);
            int nl = text.indexOf('\n');
            key = (nl >= 0 ? text.substring(0, nl) : text).strip();
        }
        if (key.isEmpty()) {
            err.println("fairlane hash-key: the key is empty");
            return 2;
        }
        out.println(ApiKeyHash.of(key));
        return 0;
    }

    private static int serve(List<String> args) throws Exception {
        leakDetection(System.getProperties());
        Path file = null;
        Integer port = null;
        String host = null;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            switch (a) {
                case "--config" -> file = Path.of(value(args, ++i, a));
                case "--host" -> host = value(args, ++i, a);
                case "--port" -> {
                    try {
                        port = Integer.parseInt(value(args, ++i, a));
                    } catch (NumberFormatException e) {
                        System.err.println("fairlane serve: --port needs a number");
                        return 2;
                    }
                }
                default -> {
                    System.err.println("fairlane serve: unknown option '" + a + "'");
                    usage(System.err);
                    return 2;
                }
            }
        }
        ConfigLoader loader = new ConfigLoader();
        Path source = file != null ? file : findConfig(System.getenv());
        FairlaneConfig config;
        try {
            if (source != null) {
                config = loader.load(source);
            } else {
                try (InputStream in = Main.class.getClassLoader().getResourceAsStream(BUILT_IN)) {
                    if (in == null) {
                        System.err.println("fairlane serve: no configuration found and none built in");
                        return 1;
                    }
                    config = loader.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8), "(built-in default)");
                }
            }
        } catch (ConfigException e) {
            System.err.println(e.getMessage());
            System.err.println("fairlane serve: refusing to start on an invalid configuration");
            return 1;
        } catch (IOException e) {
            System.err.println("fairlane serve: cannot read " + source + ": " + e.getMessage());
            return 1;
        }
        if (port != null) {
            config = config.withPort(port);
        }
        if (host != null) {
            config = config.withHost(host);
        }
        LOG.info("configuration: {}", source == null ? "built-in default" : source.toAbsolutePath());
        Gateway gateway;
        try {
            gateway = Gateway.start(config, EngineOpener.engines());
        } catch (java.io.UncheckedIOException e) {
            if (e.getCause() instanceof java.net.BindException bind) {
                // A port in use is a plain message, not a stack trace.
                System.err.println("fairlane serve: " + bind.getMessage()
                        + " (another process holds it; choose another with --port or server.port)");
                return 1;
            }
            throw e;
        }
        ConfigWatcher watcher = null;
        if (source != null) {
            watcher = ConfigWatcher.start(source, loader, gateway::reload, Duration.ofMillis(300));
        }
        banner(gateway, config);
        CountDownLatch stopped = new CountDownLatch(1);
        ConfigWatcher w = watcher;
        Duration deadline = config.server().shutdownDeadline();
        Runnable stop = () -> {
            try {
                if (w != null) {
                    w.close();
                }
                boolean clean = gateway.shutdown(deadline);
                LOG.info("stopped{}", clean ? "" : " (some requests were cut at the deadline)");
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } finally {
                stopped.countDown();
            }
        };
        for (String sig : List.of("TERM", "INT")) {
            Signal.handle(new Signal(sig), s -> Thread.ofPlatform().name("fairlane-shutdown").start(stop));
        }
        stopped.await();
        return 0;
    }

    private static String value(List<String> args, int i, String option) {
        if (i >= args.size()) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args.get(i);
    }

    /** The configuration file to use when none is given, or null for the built-in default. */
    static Path findConfig(Map<String, String> env) {
        String explicit = env.get("FAIRLANE_CONFIG");
        if (explicit != null && !explicit.isBlank()) {
            return Path.of(explicit);
        }
        String home = env.get("FAIRLANE_HOME");
        if (home != null && !home.isBlank() && Files.isRegularFile(Path.of(home, "config", "fairlane.yaml"))) {
            return Path.of(home, "config", "fairlane.yaml");
        }
        Path local = Path.of("config", "fairlane.yaml");
        return Files.isRegularFile(local) ? local : null;
    }

    /** The published key of the default config's demo tenant. */
    private static final String DEMO_KEY = "sk-fairlane-demo";

    private static void banner(Gateway gateway, FairlaneConfig config) {
        String host = config.server().host().equals("0.0.0.0") ? "127.0.0.1" : config.server().host();
        String base = "http://" + host + ":" + gateway.port() + "/v1";
        StringBuilder sb = new StringBuilder();
        sb.append("Fairlane is serving at ").append(base).append('\n');
        sb.append("  models: ").append(gateway.models().isEmpty() ? "(none)" : String.join(", ", gateway.models()))
                .append('\n');
        if (!gateway.models().isEmpty()) {
            // The demo key only where a tenant accepts it; any other config gets a placeholder, not a 401.
            ApiKeyHash demo = ApiKeyHash.of(DEMO_KEY);
            boolean demoWorks = config.tenants().stream().anyMatch(t -> t.apiKeys().contains(demo));
            sb.append("  try:    curl ").append(base).append("/chat/completions -H 'Authorization: Bearer ")
                    .append(demoWorks ? DEMO_KEY : "$YOUR_KEY").append("' ")
                    .append("-H 'Content-Type: application/json' -d '{\"model\":\"").append(gateway.models().get(0))
                    .append("\",\"messages\":[{\"role\":\"user\",\"content\":\"Hello\"}]}'\n");
        }
        sb.append("  metrics: http://").append(host).append(':').append(gateway.port()).append(config.metrics().path());
        LOG.info("\n{}", sb);
    }
}
