package io.fairlane.conformance.lanes;

import io.fairlane.conformance.clients.ConformanceKit;
import io.fairlane.conformance.report.Report;
import io.fairlane.conformance.stub.CaptureUpstreamServer;

/**
 * The conformance kit against Fairlane's upstream lane ({@link Lanes#upstream()}): the real gateway proxying
 * to {@link CaptureUpstreamServer}, which answers with the streams recorded from api.openai.com in the shared
 * fixtures (skipped with the reason when they are absent). Tool calls come from the recorded parallel
 * tool-call stream.
 *
 * <p>What fixed recordings cannot show is declared not applicable: stop sequences and seeds cannot change a
 * recording, and the logprobs recording was made without {@code top_logprobs}. {@code n > 1} is refused by
 * the upstream with a 400 naming {@code n}, which Fairlane passes on.
 */
class UpstreamLaneConformanceTest extends ConformanceKit {

    @Override
    protected Target start() throws Exception {
        return Lanes.upstream().target();
    }

    @Override
    protected Report harnessReport(Target target) throws Exception {
        return Lanes.upstream().report();
    }

    @Override
    protected void stop() {
        // shared with other test classes; closed when the JVM ends
    }
}
