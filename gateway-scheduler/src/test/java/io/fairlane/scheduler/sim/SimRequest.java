package io.fairlane.scheduler.sim;

/**
 * One simulated request: sizes only, never text.
 *
 * @param prefixGroup which shared prefix it starts with (-1: none)
 * @param prefixLen   tokens of that shared prefix (part of {@code input})
 * @param maxOutput   the client's max_tokens, what the scheduler's estimate sees
 */
record SimRequest(long id, String tenant, double arrival, int input, int output, int maxOutput, int prefixGroup,
                  int prefixLen) {

    SimRequest {
        if (input <= 0 || output <= 0 || maxOutput < output || prefixLen < 0 || prefixLen >= input) {
            throw new IllegalArgumentException("bad request sizes: " + id + " in=" + input + " out=" + output
                    + " max=" + maxOutput + " prefix=" + prefixLen);
        }
    }
}
