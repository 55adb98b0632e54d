package io.fairlane.conformance.check;

import static java.util.Objects.requireNonNull;

/**
 * One promise of the wire contract and the code that tests it.
 *
 * @param id stable id, {@code <area>.<name>}, used by {@code --check} and {@code --na}
 * @param suite the suite that selects it
 * @param title what it verifies, one line for the report table
 * @param body the test: records failures and evidence in the findings, or throws {@link NotApplicable}
 */
public record Check(String id, Suite suite, String title, Body body) {

    /** The test itself. */
    @FunctionalInterface
    public interface Body {
        void run(CheckContext context, Findings findings);
    }

    public Check {
        requireNonNull(id, "id");
        requireNonNull(suite, "suite");
        requireNonNull(title, "title");
        requireNonNull(body, "body");
        if (!id.matches("[a-z0-9]+(\\.[a-z0-9-]+)+")) {
            throw new IllegalArgumentException("check id must look like area.name, was '" + id + "'");
        }
    }
}
