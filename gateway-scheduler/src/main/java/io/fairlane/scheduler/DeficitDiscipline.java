package io.fairlane.scheduler;

/**
 * Deficit round robin on token cost, and its locality-aware form DLPM.
 *
 * <p>Rules (Shreedhar and Varghese, SIGCOMM 1995, in the form Cao et al. use for LLM serving in
 * "Locality-aware Fair Scheduling in LLM Serving", arXiv 2501.14312): a flow may be served while its
 * deficit is positive; each dispatch and each later charge subtracts the cost, so a deficit can go
 * negative by at most one request's charge plus its running output. When no dispatchable flow has a
 * positive deficit, every dispatchable flow receives {@code quantum × weight} — as many rounds at once as
 * it takes for at least one of them to turn positive.
 *
 * <p>A flow that stops being dispatchable (its queue emptied, or its tenant reached its cap) receives no
 * refills. When it comes back, the rounds that passed meanwhile pay down its debt, but its deficit is
 * capped at one quantum: idle time repays service the flow used, as VTC's counter lift does, and banks
 * nothing beyond what any flow gets in one round. Without the repayment a light tenant would return still
 * owing for its previous request and wait rounds behind a flooding neighbour; without the cap it would
 * return with credit for its whole idle spell and starve the others.
 *
 * <p>Order among flows with a positive deficit: for DRR, the flow with the most credit left, counted in
 * rounds of its own quantum ({@code deficit / (quantum × weight)}), ties in the order the flows turned
 * positive; for DLPM, the queued ticket with the longest cached prefix as the {@link PrefixMatcher}
 * reports it, ties to the oldest — while no more than {@code lpmWaitingLimit} tickets wait in the class.
 * Past that the scan would cost too much per decision and DLPM serves the oldest first ticket among
 * positive flows, as SGLang falls back from longest-prefix-match to FCFS past 128 waiting requests.
 *
 * <p>Why not the textbook order, which serves one flow's whole quantum before moving to the next: a
 * light tenant that just arrived would wait behind up to a quantum of its busy neighbour's requests —
 * with a 4,096-unit quantum and 100-unit requests, some forty dispatches. Serving the flow with the most
 * credit first lets the newcomer (which arrives with up to one round of credit) go next and interleaves
 * backlogged flows request by request. The fairness bound does not depend on the order within a round:
 * it follows from every deficit staying between {@code −U} and one quantum and from all dispatchable
 * flows receiving the same rounds.
 *
 * <p>Cost: refills use a global round counter instead of touching every flow. A dispatchable flow stores
 * {@code deficitBase} with {@code deficit = deficitBase + round × quantum × weight}; it is positive iff
 * {@code round > −deficitBase / (quantum × weight)}, its threshold. Flows with a positive deficit sit in
 * {@code eligible}; the others in {@code waiting}, a min-heap by threshold, so a refill is "set round past
 * the smallest threshold and move the flows now positive". Every operation is O(log n) amortized. A
 * charge to a waiting flow only raises its threshold, so its key is raised lazily, when it reaches the
 * top of {@code waiting}; per-token progress charges then cost O(1).
 * A flow that is not dispatchable stores its absolute deficit in {@code deficitBase}.
 */
final class DeficitDiscipline implements Discipline {

    private final double quantum;
    private final boolean longestPrefixMatch;
    private final int lpmWaitingLimit;
    private final PrefixMatcher<Object> matcher;
    private final boolean upfront;

    private final FlowHeap eligible;
    private final FlowHeap waiting;
    private long round;
    private long sequence;

    /**
     * @param quantum           credit per round for weight 1, in service units
     * @param upfront           whether dispatch charges the whole output estimate (DRR) or progress charges
     *                          output tokens as they come (DLPM)
     * @param matcher           cached prefix lengths; null for plain DRR
     * @param lpmWaitingLimit   longest-prefix-match order applies while at most this many tickets wait
     */
    DeficitDiscipline(double quantum, boolean upfront, PrefixMatcher<Object> matcher, int lpmWaitingLimit) {
        if (!(quantum > 0)) {
            throw new IllegalArgumentException("quantum must be > 0, was " + quantum);
        }
        this.quantum = quantum;
        this.upfront = upfront;
        this.longestPrefixMatch = matcher != null;
        this.matcher = matcher;
        this.lpmWaitingLimit = lpmWaitingLimit;
        this.eligible = new FlowHeap();
        this.waiting = new FlowHeap();
    }

    /**
     * Order among flows with credit: oldest first ticket for DLPM's fallback; for DRR the most credit left
     * in rounds, which is the smallest threshold (ties by {@link TenantFlow#enteredSequence}).
     */
    private void addEligible(TenantFlow f) {
        f.enteredSequence = sequence++;
        if (longestPrefixMatch) {
            eligible.add(f, f.headId(), 0);
        } else {
            eligible.add(f, threshold(f), f.enteredSequence);
        }
    }

    private double threshold(TenantFlow f) {
        return -f.deficitBase / (quantum * f.weight());
    }

    private boolean active(TenantFlow f) {
        return eligible.contains(f) || waiting.contains(f);
    }

    private double deficit(TenantFlow f, boolean active) {
        return active ? f.deficitBase + round * quantum * f.weight() : f.deficitBase;
    }

    @Override
    public void enter(TenantFlow f, boolean returning) {
        if (active(f)) {
            throw new IllegalStateException(f + " entered twice");
        }
        double perRound = quantum * f.weight();
        double deficit = Math.min(f.deficitBase + (round - f.leftRound) * perRound, perRound);
        f.deficitBase = deficit - round * perRound;
        place(f);
    }

    private void place(TenantFlow f) {
        if (deficit(f, true) > 0) {
            addEligible(f);
        } else {
            waiting.add(f, threshold(f), f.enteredSequence);
        }
    }

    @Override
    public void leave(TenantFlow f) {
        double d = deficit(f, true);
        if (eligible.contains(f)) {
            eligible.remove(f);
        } else {
            waiting.remove(f);
        }
        f.deficitBase = d;
        f.leftRound = round;
    }

    @Override
    public void emptied(TenantFlow f) {
        // Nothing to do: enter() settles debt and caps credit from the rounds that passed.
    }

    @Override
    public void headChanged(TenantFlow f) {
        if (longestPrefixMatch && eligible.contains(f)) {
            eligible.update(f, f.headId(), 0);
        }
    }

    @Override
    public QueuedTicket<?> select(int waitingInClass) {
        if (eligible.isEmpty()) {
            if (waiting.isEmpty()) {
                return null;
            }
            refill();
        }
        if (longestPrefixMatch && waitingInClass <= lpmWaitingLimit) {
            return longestPrefix();
        }
        return eligible.peek().head();
    }

    private void refill() {
        while (eligible.isEmpty()) {
            freshWaitingTop();
            long next = (long) Math.floor(waiting.peekKey()) + 1;
            round = Math.max(round + 1, next);
            while (!waiting.isEmpty() && deficit(freshWaitingTop(), true) > 0) {
                addEligible(waiting.poll());
            }
        }
    }

    /**
     * Re-keys stale flows at the top of {@code waiting} until the top's threshold is current; returns it.
     * Charges only raise a waiting flow's threshold, so {@link #charge} leaves the raise for here.
     */
    private TenantFlow freshWaitingTop() {
        while (true) {
            TenantFlow top = waiting.peek();
            double t = threshold(top);
            if (waiting.peekKey() == t) {
                return top;
            }
            waiting.update(top, t, top.enteredSequence);
        }
    }

    private QueuedTicket<?> longestPrefix() {
        QueuedTicket<?> best = null;
        int bestMatch = -1;
        for (int i = 0; i < eligible.size(); i++) {
            for (QueuedTicket<?> t = eligible.at(i).topQueue().first; t != null; t = t.next) {
                int m = Math.clamp(matcher.cachedPrefixTokens(t.work()), 0, t.estimate().promptTokens());
                if (m > bestMatch || (m == bestMatch && t.id() < best.id())) {
                    best = t;
                    bestMatch = m;
                }
            }
        }
        return best;
    }

    @Override
    public void charge(TenantFlow f, double amount, boolean headChanged) {
        f.deficitBase -= amount;
        if (!active(f)) {
            return;
        }
        boolean isEligible = eligible.contains(f);
        boolean positive = deficit(f, true) > 0;
        if (isEligible && !positive) {
            eligible.remove(f);
            waiting.add(f, threshold(f), f.enteredSequence);
        } else if (!isEligible && positive) {
            waiting.remove(f);
            addEligible(f);
        } else if (!isEligible && amount < 0) {
            waiting.update(f, threshold(f), f.enteredSequence);
        } else if (isEligible && !longestPrefixMatch) {
            eligible.update(f, threshold(f), f.enteredSequence);
        } else if (headChanged && longestPrefixMatch && isEligible) {
            eligible.update(f, f.headId(), 0); // a waiting flow is keyed by its threshold, which did not change
        }
    }

    @Override
    public double balance(TenantFlow f) {
        return deficit(f, active(f));
    }

    @Override
    public boolean isEmpty() {
        return eligible.isEmpty() && waiting.isEmpty();
    }

    @Override
    public boolean chargesOutputUpfront() {
        return upfront;
    }
}
