package io.fairlane.conformance.check;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Every check, in the order a run executes them: the observers of all traffic come last. */
public final class Catalogue {

    private static final List<Check> ALL = build();

    private Catalogue() {
    }

    public static List<Check> all() {
        return ALL;
    }

    private static List<Check> build() {
        List<Check> checks = new ArrayList<>();
        checks.addAll(StreamChecks.all());
        checks.addAll(UsageChecks.all());
        checks.addAll(ToolChecks.all());
        checks.addAll(ChatChecks.all());
        checks.addAll(EmbeddingChecks.all());
        checks.addAll(ModelChecks.all());
        checks.addAll(FileChecks.all());
        checks.addAll(ErrorChecks.statuses());
        checks.addAll(IdempotencyChecks.all());
        checks.addAll(ResponseChecks.all());
        checks.addAll(StructuredChecks.all());
        checks.addAll(ErrorChecks.observers());
        checks.addAll(SchemaChecks.all());
        Set<String> ids = new HashSet<>();
        for (Check check : checks) {
            if (!ids.add(check.id())) {
                throw new IllegalStateException("duplicate check id " + check.id());
            }
        }
        return List.copyOf(checks);
    }
}
