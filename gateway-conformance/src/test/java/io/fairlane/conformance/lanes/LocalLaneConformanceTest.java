package io.fairlane.conformance.lanes;

import io.fairlane.conformance.clients.ConformanceKit;
import io.fairlane.conformance.report.Report;

/**
 * The conformance kit against Fairlane's local lane ({@link Lanes#local()}): the real gateway serving the
 * synthetic {@value Lanes#LOCAL_MODEL} model on the CPU engine. The model's weights are random, so it never
 * chooses to call a tool, and Fairlane has no constrained decoding to force one: it refuses
 * {@code tool_choice: "required"} and named functions with a 400 naming {@code tool_choice}, which makes the
 * tool checks not applicable here (the upstream lane runs them on recorded tool calls) and which every client
 * must surface as a clean 400.
 */
class LocalLaneConformanceTest extends ConformanceKit {

    @Override
    protected Target start() throws Exception {
        return Lanes.local().target();
    }

    @Override
    protected Report harnessReport(Target target) throws Exception {
        return Lanes.local().report();
    }

    @Override
    protected void stop() {
        // shared with other test classes; closed when the JVM ends
    }
}
