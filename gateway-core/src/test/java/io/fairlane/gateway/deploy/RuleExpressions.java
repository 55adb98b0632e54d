package io.fairlane.gateway.deploy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/** The expressions of the shipped Prometheus rules (docker/prometheus/rules/*.yml). */
final class RuleExpressions {

    /** One rule: its recorded series or alert name, its group and its PromQL. */
    record Rule(String group, String name, boolean alert, String expr) {

        /**
         * The expression with each threshold comparison turned into a {@code bool} comparison, so that it
         * returns a 0/1 series for every label set it matches, not only for those past the threshold. Used to
         * prove an alert's expression lines its operands up for every tenant, whether or not it fires.
         */
        String asBool() {
            return COMPARISON.matcher(expr).replaceAll("$1 bool ");
        }
    }

    private static final Pattern COMPARISON = Pattern.compile("(==|!=|>=|<=|>|<)\\s*(?=[0-9.])");

    private RuleExpressions() {
    }

    static List<Path> ruleFiles() throws IOException {
        try (Stream<Path> files = Files.list(ProjectFiles.docker().resolve("prometheus/rules"))) {
            return files.filter(f -> f.toString().endsWith(".yml")).sorted().toList();
        }
    }

    static List<Rule> rules() throws IOException {
        List<Rule> rules = new ArrayList<>();
        for (Path file : ruleFiles()) {
            for (Object group : Yaml.listAt(Yaml.map(file), "groups")) {
                String groupName = (String) Yaml.at(group, "name");
                for (Object rule : Yaml.listAt(group, "rules")) {
                    Map<?, ?> map = (Map<?, ?>) rule;
                    boolean alert = map.containsKey("alert");
                    rules.add(new Rule(groupName, (String) map.get(alert ? "alert" : "record"), alert,
                            ((String) map.get("expr")).strip()));
                }
            }
        }
        return rules;
    }
}
