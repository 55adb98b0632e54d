package io.fairlane.gateway.config;

import io.fairlane.gateway.config.RoutingConfig.Group;
import io.fairlane.gateway.config.UpstreamModelConfig.Target;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * What a reload changes in the upstream models' routing, in words an operator checks against the edit just made:
 * models added or removed, groups and targets added, removed or moved, and each changed setting with its old and new
 * value ({@code gpt-4o: target 'azure' weight 1 -> 3}). Logged when a reload is applied.
 */
public final class RoutingDiff {

    private RoutingDiff() {
    }

    /** Every routing change from {@code before} to {@code after}, one line each; empty when there is none. */
    public static List<String> between(List<ModelConfig> before, List<ModelConfig> after) {
        Map<String, UpstreamModelConfig> old = upstreams(before);
        Map<String, UpstreamModelConfig> now = upstreams(after);
        List<String> out = new ArrayList<>();
        for (String id : old.keySet()) {
            if (!now.containsKey(id)) {
                out.add(id + ": upstream model removed");
            }
        }
        for (Map.Entry<String, UpstreamModelConfig> e : now.entrySet()) {
            UpstreamModelConfig o = old.get(e.getKey());
            if (o == null) {
                out.add(e.getKey() + ": upstream model added with " + e.getValue().targets().size() + " target(s) in "
                        + e.getValue().routing().groups().size() + " group(s)");
            } else if (!o.equals(e.getValue())) {
                model(e.getKey(), o, e.getValue(), out);
            }
        }
        return out;
    }

    private static Map<String, UpstreamModelConfig> upstreams(List<ModelConfig> models) {
        Map<String, UpstreamModelConfig> m = new LinkedHashMap<>();
        for (ModelConfig c : models) {
            if (c instanceof UpstreamModelConfig u) {
                m.put(u.id(), u);
            }
        }
        return m;
    }

    private static void model(String id, UpstreamModelConfig o, UpstreamModelConfig n, List<String> out) {
        int start = out.size();
        change(out, id, "max_concurrency", o.maxConcurrency(), n.maxConcurrency());
        change(out, id, "tokens_per_second", o.tokensPerSecond(), n.tokensPerSecond());
        change(out, id, "default_max_tokens", o.defaultMaxTokens(), n.defaultMaxTokens());
        change(out, id, "scheduler", o.policy(), n.policy());
        RoutingConfig or = o.routing();
        RoutingConfig nr = n.routing();
        List<String> oldGroups = or.groups().stream().map(Group::name).toList();
        List<String> newGroups = nr.groups().stream().map(Group::name).toList();
        change(out, id, "groups", oldGroups, newGroups);
        for (Group ng : nr.groups()) {
            or.groups().stream().filter(g -> g.name().equals(ng.name())).findFirst()
                    .ifPresent(og -> change(out, id, "group '" + ng.name() + "' saturation", og.saturation(),
                            ng.saturation()));
        }
        Map<String, Target> ot = targets(or);
        Map<String, Target> nt = targets(nr);
        for (String name : ot.keySet()) {
            if (!nt.containsKey(name)) {
                out.add(id + ": target '" + name + "' removed");
            }
        }
        for (Map.Entry<String, Target> e : nt.entrySet()) {
            Target a = ot.get(e.getKey());
            Target b = e.getValue();
            String what = "target '" + e.getKey() + "'";
            if (a == null) {
                out.add(id + ": " + what + " added in group '" + groupOf(nr, b) + "' (" + b.url() + ", weight "
                        + b.weight() + ")");
                continue;
            }
            change(out, id, what + " group", groupOf(or, a), groupOf(nr, b));
            change(out, id, what + " url", a.url(), b.url());
            change(out, id, what + " model", a.model().orElse("(same)"), b.model().orElse("(same)"));
            change(out, id, what + " api_key_env", a.apiKeyEnv().orElse("-"), b.apiKeyEnv().orElse("-"));
            change(out, id, what + " weight", a.weight(), b.weight());
            change(out, id, what + " max_concurrency", a.maxConcurrency(), b.maxConcurrency());
            change(out, id, what + " timeouts", a.timeouts(), b.timeouts());
            change(out, id, what + " context_window", a.contextWindow(), b.contextWindow());
        }
        change(out, id, "retry", or.retry(), nr.retry());
        change(out, id, "breaker", or.breaker(), nr.breaker());
        change(out, id, "context_fallbacks", or.contextFallbacks(), nr.contextFallbacks());
        change(out, id, "shadow", or.shadow().map(RoutingDiff::shadow).orElse("none"),
                nr.shadow().map(RoutingDiff::shadow).orElse("none"));
        change(out, id, "limits", or.output(), nr.output());
        if (out.size() == start) {
            out.add(id + ": settings changed");
        }
    }

    private static String shadow(RoutingConfig.Shadow s) {
        return s.target().name() + " (" + s.target().url() + ") sample " + s.sampleRate() + " tenants "
                + s.tenants().stream().sorted().toList();
    }

    private static Map<String, Target> targets(RoutingConfig r) {
        Map<String, Target> m = new LinkedHashMap<>();
        for (Target t : r.targets()) {
            m.put(t.name(), t);
        }
        return m;
    }

    private static String groupOf(RoutingConfig r, Target t) {
        return r.groups().stream().filter(g -> g.targets().contains(t)).map(Group::name).findFirst().orElse("?");
    }

    private static void change(List<String> out, String model, String what, Object before, Object after) {
        if (!Objects.equals(before, after)) {
            out.add(model + ": " + what + " " + before + " -> " + after);
        }
    }
}
