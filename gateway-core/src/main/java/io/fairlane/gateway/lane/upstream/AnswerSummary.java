package io.fairlane.gateway.lane.upstream;

import java.util.List;

/**
 * What a shadow comparison looks at in an answer: its HTTP status, the first choice's finish reason, the names of
 * the tools it called, and how much text it produced.
 *
 * @param finishReason null when none came
 * @param outputChars  characters of output text (content, refusal, reasoning, tool-call arguments)
 */
record AnswerSummary(int status, String finishReason, List<String> toolNames, long outputChars) {

    AnswerSummary {
        toolNames = List.copyOf(toolNames);
    }

    /** A failed answer: only the status is known. */
    static AnswerSummary failed(int status) {
        return new AnswerSummary(status, null, List.of(), 0);
    }
}
