package io.fairlane.conformance.lanes;

import io.fairlane.conformance.clients.ConformanceKit;
import io.fairlane.conformance.report.Report;

/**
 * The conformance kit against Fairlane's local lane ({@link Lanes#local()}): the real gateway serving the
 * synthetic {@value Lanes#LOCAL_MODEL} model on the CPU engine. The model's weights are random, so it never
 * chooses to call a tool by itself; {@code tool_choice: "required"} makes it call one through constrained
 * decoding, so the tool checks and every client's tool scenarios run here as on any other server.
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
