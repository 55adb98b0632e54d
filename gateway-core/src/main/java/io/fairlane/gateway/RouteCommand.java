package io.fairlane.gateway;

import io.fairlane.gateway.config.ConfigException;
import io.fairlane.gateway.config.ConfigLoader;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.config.ModelConfig;
import io.fairlane.gateway.config.UpstreamModelConfig;
import io.fairlane.gateway.lane.routing.ModelRouter;
import io.fairlane.gateway.lane.routing.RoutingExplainer;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * {@code fairlane route --config FILE --model M [--tenant T] [--prompt-tokens N]}: a dry run of a model's routing
 * manifest. Reads and validates the file as {@code serve} would (every error, with its path), then prints the
 * decision path a request would take with every target fresh: groups in order, weights and shares, slots,
 * timeouts, saturation thresholds, retry, breaker, context fallbacks and shadow traffic, and where the request
 * would go. The same explanation of a running server's live state is {@code GET /admin/routing?explain=true}.
 */
final class RouteCommand {

    private RouteCommand() {
    }

    static int run(List<String> args, Map<String, String> env, PrintStream out, PrintStream err) {
        Path file = null;
        String model = null;
        String tenant = null;
        long promptTokens = 0;
        for (int i = 0; i < args.size(); i++) {
            String a = args.get(i);
            if (i + 1 >= args.size()) {
                return usage(err, a + " needs a value");
            }
            String v = args.get(++i);
            switch (a) {
                case "--config" -> file = Path.of(v);
                case "--model" -> model = v;
                case "--tenant" -> tenant = v;
                case "--prompt-tokens" -> {
                    try {
                        promptTokens = Long.parseLong(v);
                    } catch (NumberFormatException e) {
                        return usage(err, "--prompt-tokens needs a number");
                    }
                }
                default -> {
                    return usage(err, "unknown option '" + a + "'");
                }
            }
        }
        if (file == null) {
            file = Main.findConfig(env);
        }
        if (file == null || model == null) {
            return usage(err, file == null ? "no configuration: give --config FILE" : "--model is required");
        }
        FairlaneConfig config;
        try {
            config = new ConfigLoader(env).load(file);
        } catch (ConfigException e) {
            err.println(e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("fairlane route: cannot read " + file + ": " + e.getMessage());
            return 1;
        }
        String wanted = model;
        ModelConfig m = config.model(wanted).orElse(null);
        if (m == null) {
            err.println("fairlane route: no model '" + wanted + "' in " + file + "; its models: "
                    + config.models().stream().map(ModelConfig::id).toList());
            return 2;
        }
        if (tenant != null && config.tenant(tenant).isEmpty()) {
            err.println("fairlane route: no tenant '" + tenant + "' in " + file);
            return 2;
        }
        if (!(m instanceof UpstreamModelConfig u)) {
            out.println("model " + wanted + " is served by the local engine: it has no routing manifest.");
            return 0;
        }
        ModelRouter router = new ModelRouter(u.id(), u.routing(), Map.of(), List.of(), ModelRouter.Listener.NONE,
                System::nanoTime, new Random());
        out.print(RoutingExplainer.explain(router, tenant, promptTokens));
        return 0;
    }

    private static int usage(PrintStream err, String problem) {
        err.println("fairlane route: " + problem);
        err.println("usage: fairlane route --config FILE --model M [--tenant T] [--prompt-tokens N]");
        return 2;
    }
}
