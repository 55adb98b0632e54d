package io.fairlane.scheduler;

import static io.fairlane.scheduler.Schedulers.cost;
import static io.fairlane.scheduler.Schedulers.queue;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class AdmissionTest {

    private final ManualTicker ticker = new ManualTicker();
    private final Policy policy = new Policy.VirtualTokenCounter();

    private static Admission.Reason reasonOf(Admission<String> a) {
        return a instanceof Admission.Rejected<String> r ? r.reason() : null;
    }

    private static Duration retryOf(Admission<String> a) {
        return ((Admission.Rejected<String>) a).retryAfter();
    }

    @Test
    void offer_unknownTenant_isRejectedAsUnknown() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1));

        assertThat(reasonOf(s.offer("nobody", "x", cost(1, 1), ServiceTier.DEFAULT)))
                .isEqualTo(Admission.Reason.UNKNOWN_TENANT);
    }

    @Test
    void offer_tierTheTenantMayNotUse_isRejectedAsTierNotAllowed() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1));

        assertThat(reasonOf(s.offer("a", "x", cost(1, 1), ServiceTier.PRIORITY)))
                .isEqualTo(Admission.Reason.TIER_NOT_ALLOWED);
    }

    @Test
    void offer_queueAtItsRequestBound_isRejectedAsQueueFull() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withQueueBounds(2, 1_000_000));
        queue(s, "a", "a0", cost(1, 1));
        queue(s, "a", "a1", cost(1, 1));

        assertThat(reasonOf(s.offer("a", "a2", cost(1, 1), ServiceTier.DEFAULT)))
                .isEqualTo(Admission.Reason.QUEUE_FULL);
    }

    @Test
    void offer_queueFullAfterSteadyDrain_retryAfterIsTimeToDrainTheExcess() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withQueueBounds(2, 1_000_000));
        // Ten requests a second drain for three seconds.
        for (int i = 0; i < 30; i++) {
            queue(s, "a", "w" + i, cost(1, 1));
            Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
            s.complete(t, new ActualCost(1, 0, 1));
            ticker.advanceMillis(100);
        }
        queue(s, "a", "q0", cost(1, 1));
        queue(s, "a", "q1", cost(1, 1));

        assertThat(retryOf(s.offer("a", "q2", cost(1, 1), ServiceTier.DEFAULT)).toMillis()).isBetween(80L, 125L);
    }

    @Test
    void offer_queueFullWithNoDrainObserved_retryAfterIsOneSecond() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withQueueBounds(1, 1_000_000));
        queue(s, "a", "a0", cost(1, 1));

        assertThat(retryOf(s.offer("a", "a1", cost(1, 1), ServiceTier.DEFAULT))).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void offer_queuedTokensOverTheirBound_isRejectedAsQueuedTokens() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withQueueBounds(100, 1000));
        queue(s, "a", "a0", cost(400, 400));

        assertThat(reasonOf(s.offer("a", "a1", cost(100, 200), ServiceTier.DEFAULT)))
                .isEqualTo(Admission.Reason.QUEUED_TOKENS);
    }

    @Test
    void offer_requestsPerMinuteUsedUp_isRejectedWithRetryUntilOneRequestRefills() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(60, 0)));
        for (int i = 0; i < 60; i++) {
            queue(s, "a", "a" + i, cost(1, 1));
        }
        Admission<String> rejected = s.offer("a", "late", cost(1, 1), ServiceTier.DEFAULT);

        assertThat(retryOf(rejected)).isEqualTo(Duration.ofSeconds(1));
    }

    @Test
    void offer_tokensPerMinute_reservePromptPlusMaxOutput() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(0, 1000)));
        queue(s, "a", "a0", cost(300, 200));
        queue(s, "a", "a1", cost(300, 200));

        assertThat(reasonOf(s.offer("a", "a2", cost(1, 0), ServiceTier.DEFAULT)))
                .isEqualTo(Admission.Reason.TOKENS_PER_MINUTE);
    }

    @Test
    void offer_requestAloneAboveTokensPerMinute_isRejectedSayingSo() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(0, 1000)));
        var rejected = (Admission.Rejected<String>) s.offer("a", "big", cost(900, 200), ServiceTier.DEFAULT);

        assertThat(rejected.message()).contains("1100").contains("more than the tokens per minute limit");
    }

    @Test
    void offer_rejection_consumesNoRateLimit() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withQueueBounds(1, 1_000_000)
                .withRateLimits(new RateLimits(10, 0)));
        queue(s, "a", "a0", cost(1, 1));
        s.offer("a", "a1", cost(1, 1), ServiceTier.DEFAULT);

        assertThat(s.rateLimitStatus("a").remainingRequests()).isEqualTo(9);
    }

    @Test
    void complete_usedLessThanReserved_refundsTheUnusedTokens() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(0, 1000)));
        queue(s, "a", "a0", cost(300, 200));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.complete(t, new ActualCost(300, 0, 20));

        assertThat(s.rateLimitStatus("a").remainingTokens()).isEqualTo(1000 - 320);
    }

    @Test
    void complete_usedMoreThanReserved_chargesTheExcess() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(0, 1000)));
        queue(s, "a", "a0", cost(100, 100));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.complete(t, new ActualCost(500, 0, 100));

        assertThat(s.rateLimitStatus("a").remainingTokens()).isEqualTo(1000 - 600);
    }

    @Test
    void complete_usedMoreThanTheBucketHeld_leavesADebtThatDelaysTheNextRequest() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(0, 1000)));
        queue(s, "a", "a0", cost(100, 100));
        Ticket<String> t = s.next(Capacity.unlimited()).orElseThrow();
        s.complete(t, new ActualCost(1200, 0, 300));
        ticker.advanceMillis(29_000); // refills 483 of the 500 owed: still in debt

        assertThat(reasonOf(s.offer("a", "a1", cost(1, 0), ServiceTier.DEFAULT)))
                .isEqualTo(Admission.Reason.TOKENS_PER_MINUTE);
    }

    @Test
    void cancel_queuedTicket_refundsItsRequestAndTokens() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(10, 1000)));
        Ticket<String> t = queue(s, "a", "a0", cost(300, 200));
        s.cancel(t, ActualCost.NONE);

        assertThat(s.rateLimitStatus("a")).extracting(RateLimitStatus::remainingRequests,
                RateLimitStatus::remainingTokens).containsExactly(10L, 1000L);
    }

    @Test
    void offer_queued_carriesTheRateLimitPositionAfterTheReservation() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(10, 1000)));
        var queued = (Admission.Queued<String>) s.offer("a", "a0", cost(300, 200), ServiceTier.DEFAULT);

        assertThat(queued.rateLimit()).isEqualTo(new RateLimitStatus(10, 9, Duration.ofSeconds(6), 1000, 500,
                Duration.ofSeconds(30)));
    }

    @Test
    void offer_noLimitsConfigured_reportsUnlimited() {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1));

        assertThat(s.offer("a", "a0", cost(1, 1), ServiceTier.DEFAULT).rateLimit())
                .isEqualTo(RateLimitStatus.UNLIMITED);
    }

    @Test
    void offer_concurrentOffers_neverOverrunTheTokenLimit() throws Exception {
        var s = Schedulers.create(policy, ticker, TenantSpec.of("a", 1).withRateLimits(new RateLimits(0, 1000)));
        AtomicInteger admitted = new AtomicInteger();
        CountDownLatch start = new CountDownLatch(1);
        try (ExecutorService pool = Executors.newFixedThreadPool(8)) {
            List<Future<?>> done = new java.util.ArrayList<>();
            for (int th = 0; th < 8; th++) {
                int thread = th;
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < 100; i++) {
                        if (s.offer("a", thread + "-" + i, cost(7, 3), ServiceTier.DEFAULT)
                                instanceof Admission.Queued<String>) {
                            admitted.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        }

        assertThat(admitted.get()).isEqualTo(100);
    }

    @Test
    void offer_priorityTierForATenantAllowedIt_isQueued() {
        var s = Schedulers.create(policy, ticker,
                TenantSpec.of("a", 1).withTiers(EnumSet.of(ServiceTier.PRIORITY)));

        assertThat(s.offer("a", "a0", cost(1, 1), ServiceTier.PRIORITY)).isInstanceOf(Admission.Queued.class);
    }

    @Test
    void autoTier_tenantAllowedDefaultAndPriority_isDefault() {
        assertThat(TenantSpec.of("a", 1).withTiers(EnumSet.of(ServiceTier.DEFAULT, ServiceTier.PRIORITY)).autoTier())
                .isEqualTo(ServiceTier.DEFAULT);
    }

    @Test
    void autoTier_tenantAllowedPriorityAndFlex_isPriority() {
        assertThat(TenantSpec.of("a", 1).withTiers(EnumSet.of(ServiceTier.PRIORITY, ServiceTier.FLEX)).autoTier())
                .isEqualTo(ServiceTier.PRIORITY);
    }

    @Test
    void autoTier_tenantAllowedOnlyFlex_isFlex() {
        assertThat(TenantSpec.of("a", 1).withTiers(EnumSet.of(ServiceTier.FLEX)).autoTier())
                .isEqualTo(ServiceTier.FLEX);
    }
}
