package io.fairlane.scheduler;

import java.time.Duration;
import java.util.Objects;

/**
 * The capacity of an upstream lane: at most {@code maxConcurrent} requests in flight and, optionally, a
 * tokens-per-second budget (a bucket of {@code burstTokens} refilled at {@code tokensPerSecond}).
 *
 * <p>{@link #fits} only answers; the dispatcher that receives a ticket calls {@link #acquire} before
 * starting it and {@link #release} when it ends (completed, failed or cancelled while running).
 * {@link LaneDispatcher} does both. A request reserves {@link CostEstimate#reservedTokens()} (prompt plus
 * max output) from the bucket and gets back what it did not use on release. A request larger than the
 * whole bucket fits once the bucket is full, and then drives it negative, so it is neither starved nor
 * allowed to exceed the long-run rate.
 *
 * <p>Thread-safe: acquire and release come from whichever threads finish requests.
 *
 * @param <W> the work type
 */
public final class ConcurrencyCapacity<W> implements Capacity<W> {

    private final int maxConcurrent;
    private final long tokensPerSecond;
    private final long burstTokens;
    private final Ticker ticker;

    private int inFlight;
    private double tokens;
    private long lastNanos;

    private ConcurrencyCapacity(int maxConcurrent, long tokensPerSecond, long burstTokens, Ticker ticker) {
        if (maxConcurrent <= 0) {
            throw new IllegalArgumentException("maxConcurrent must be > 0, was " + maxConcurrent);
        }
        if (tokensPerSecond < 0) {
            throw new IllegalArgumentException("tokensPerSecond must be >= 0, was " + tokensPerSecond);
        }
        if (tokensPerSecond > 0 && burstTokens <= 0) {
            throw new IllegalArgumentException("burstTokens must be > 0 with a token rate, was " + burstTokens);
        }
        this.maxConcurrent = maxConcurrent;
        this.tokensPerSecond = tokensPerSecond;
        this.burstTokens = burstTokens;
        this.ticker = Objects.requireNonNull(ticker, "ticker");
        this.tokens = burstTokens;
        this.lastNanos = ticker.nanos();
    }

    /** A lane limited only by concurrent requests. */
    public static <W> ConcurrencyCapacity<W> of(int maxConcurrent) {
        return new ConcurrencyCapacity<>(maxConcurrent, 0, 0, Ticker.system());
    }

    /**
     * A lane limited by concurrent requests and a token rate.
     *
     * @param tokensPerSecond long-run tokens (prompt + output) per second; 0 for no token limit
     * @param burstTokens     the bucket's size: tokens that may start at once after a quiet spell
     */
    public static <W> ConcurrencyCapacity<W> of(int maxConcurrent, long tokensPerSecond, long burstTokens,
            Ticker ticker) {
        return new ConcurrencyCapacity<>(maxConcurrent, tokensPerSecond, burstTokens, ticker);
    }

    private void refill() {
        if (tokensPerSecond == 0) {
            return;
        }
        long now = ticker.nanos();
        long elapsed = now - lastNanos;
        if (elapsed > 0) {
            tokens = Math.min(burstTokens, tokens + elapsed * (tokensPerSecond / 1e9));
            lastNanos = now;
        }
    }

    private boolean tokensAllow(CostEstimate estimate) {
        if (tokensPerSecond == 0) {
            return true;
        }
        refill();
        return tokens >= Math.min(estimate.reservedTokens(), burstTokens);
    }

    @Override
    public synchronized boolean fits(W work, CostEstimate estimate) {
        Objects.requireNonNull(estimate, "estimate");
        return inFlight < maxConcurrent && tokensAllow(estimate);
    }

    @Override
    public int slots() {
        return maxConcurrent;
    }

    /** Takes a slot and the estimate's tokens for a ticket about to start. */
    public synchronized void acquire(CostEstimate estimate) {
        Objects.requireNonNull(estimate, "estimate");
        inFlight++;
        if (tokensPerSecond > 0) {
            refill();
            tokens -= estimate.reservedTokens();
        }
    }

    /** Gives back the slot, and the reserved tokens {@code used} did not consume. */
    public synchronized void release(CostEstimate estimate, ActualCost used) {
        Objects.requireNonNull(estimate, "estimate");
        Objects.requireNonNull(used, "used");
        if (inFlight == 0) {
            throw new IllegalStateException("release without a matching acquire");
        }
        inFlight--;
        if (tokensPerSecond > 0) {
            refill();
            long unused = estimate.reservedTokens() - ((long) used.promptTokens() + used.outputTokens());
            tokens = Math.min(burstTokens, tokens + Math.max(0, unused));
        }
    }

    /** Whether a token rate limits this lane (then only time, not a finishing request, can make room). */
    public boolean limitsTokens() {
        return tokensPerSecond > 0;
    }

    /** Requests in flight now. */
    public synchronized int inFlight() {
        return inFlight;
    }

    /**
     * How long until {@code tokens} more are in the bucket, so a dispatcher blocked by the token rate knows
     * when to look again; zero without a token limit or when they are there now.
     */
    public synchronized Duration timeUntilTokens(long needed) {
        if (tokensPerSecond == 0) {
            return Duration.ZERO;
        }
        refill();
        double missing = Math.min(needed, burstTokens) - tokens;
        return missing <= 0 ? Duration.ZERO
                : Duration.ofNanos((long) Math.ceil(missing / (tokensPerSecond / 1e9)));
    }

    @Override
    public synchronized String toString() {
        return "ConcurrencyCapacity[inFlight=" + inFlight + "/" + maxConcurrent
                + (tokensPerSecond > 0 ? ", tokens=" + (long) tokens + "/" + burstTokens + " at " + tokensPerSecond
                        + "/s" : "") + "]";
    }
}
