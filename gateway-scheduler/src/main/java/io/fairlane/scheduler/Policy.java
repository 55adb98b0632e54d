package io.fairlane.scheduler;

/**
 * The scheduling policies a {@link TenantScheduler} can run. Each is a plain record of its parameters;
 * {@link TenantSchedulers#create} builds the matching implementation.
 */
public sealed interface Policy {

    /** First come, first served across all tenants: the baseline every engine ships with. */
    record Fcfs() implements Policy {
    }

    /**
     * Deficit round robin on token cost (Shreedhar and Varghese, SIGCOMM 1995), charged in
     * {@link CostWeights} units. {@code quantum} is the credit each backlogged tenant receives per round,
     * scaled by its weight.
     */
    record DeficitRoundRobin(long quantum) implements Policy {
        public DeficitRoundRobin {
            if (quantum <= 0) {
                throw new IllegalArgumentException("quantum must be > 0, was " + quantum);
            }
        }
    }

    /**
     * Virtual token counter (Sheng et al., "Fairness in Serving Large Language Models", OSDI 2024):
     * serve the backlogged tenant with the least weighted service, lifting returning tenants' counters so
     * idle time banks no credit.
     */
    record VirtualTokenCounter() implements Policy {
    }

    /**
     * Deficit longest-prefix-match (Cao et al., "Locality-aware Fair Scheduling in LLM Serving",
     * arXiv 2501.14312): deficit round robin across tenants, and within the quantum, requests ordered by
     * the length of their cached prefix as the {@link PrefixMatcher} reports it.
     *
     * @param quantum         credit per round for weight 1, in service units
     * @param lpmWaitingLimit longest-prefix-match order applies while at most this many requests wait;
     *                        past it the oldest request of a tenant with credit goes first (SGLang falls
     *                        back to FCFS past 128 waiting requests for the same reason: the scan's cost)
     */
    record DeficitLongestPrefixMatch(long quantum, int lpmWaitingLimit) implements Policy {

        /** SGLang's threshold for giving up longest-prefix-match order. */
        public static final int DEFAULT_LPM_WAITING_LIMIT = 128;

        public DeficitLongestPrefixMatch {
            if (quantum <= 0) {
                throw new IllegalArgumentException("quantum must be > 0, was " + quantum);
            }
            if (lpmWaitingLimit < 0) {
                throw new IllegalArgumentException("lpmWaitingLimit must be >= 0, was " + lpmWaitingLimit);
            }
        }

        /** With the default waiting limit of {@value #DEFAULT_LPM_WAITING_LIMIT}. */
        public DeficitLongestPrefixMatch(long quantum) {
            this(quantum, DEFAULT_LPM_WAITING_LIMIT);
        }
    }
}
