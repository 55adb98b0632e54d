package io.fairlane.scheduler;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Offers from several threads, one dispatcher, and settlements (completions and cancellations) from
 * another thread, all at once: every admitted ticket is settled exactly once and the scheduler ends
 * empty.
 */
class ConcurrencyTest {

    @Test
    void offersDispatchAndSettlementOnManyThreads_everyTicketSettlesOnceAndNothingIsLeft() throws Exception {
        for (Policy policy : List.of(new Policy.Fcfs(), new Policy.DeficitRoundRobin(300),
                new Policy.VirtualTokenCounter(), new Policy.DeficitLongestPrefixMatch(300, 16))) {
            List<TenantSpec> specs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                specs.add(TenantSpec.of("t" + i, 1 + i).withTiers(EnumSet.allOf(ServiceTier.class)));
            }
            // Settlements counted by the scheduler itself: a completion racing a cancel must settle once.
            AtomicInteger settled = new AtomicInteger();
            SchedulerStats counting = new SchedulerStats() {
                @Override
                public void recordCancelled(String tenant) {
                    settled.incrementAndGet();
                }

                @Override
                public void recordCompleted(String tenant, double service) {
                    settled.incrementAndGet();
                }
            };
            TenantScheduler<String> s = TenantSchedulers.create(policy, specs, CostWeights.DEFAULT,
                    w -> w.length(), Ticker.system(), counting);
            BlockingQueue<Ticket<String>> running = new LinkedBlockingQueue<>();
            AtomicInteger admitted = new AtomicInteger();
            AtomicBoolean offering = new AtomicBoolean(true);
            int producers = 4;
            int perProducer = 2_000;
            try (ExecutorService pool = Executors.newFixedThreadPool(producers + 2)) {
                List<Future<?>> offers = new ArrayList<>();
                for (int p = 0; p < producers; p++) {
                    int producer = p;
                    offers.add(pool.submit(() -> {
                        for (int i = 0; i < perProducer; i++) {
                            ServiceTier tier = ServiceTier.values()[i % 3];
                            var a = s.offer("t" + (i % 6), "w" + producer + "-" + i,
                                    new CostEstimate(10 + i % 50, 0, 1 + i % 20), tier);
                            if (a instanceof Admission.Queued<String> q) {
                                admitted.incrementAndGet();
                                if (i % 17 == 0) {
                                    s.cancel(q.ticket(), ActualCost.NONE); // may race the dispatcher
                                }
                            }
                        }
                        return null;
                    }));
                }
                Future<?> dispatcher = pool.submit(() -> {
                    while (offering.get() || s.queued() > 0) {
                        Optional<Ticket<String>> t = s.next(Capacity.unlimited());
                        if (t.isPresent()) {
                            running.add(t.get());
                        } else {
                            Thread.onSpinWait();
                        }
                    }
                    return null;
                });
                Future<?> settler = pool.submit(() -> {
                    while (!dispatcher.isDone() || !running.isEmpty()) {
                        Ticket<String> t = running.poll(1, TimeUnit.MILLISECONDS);
                        if (t == null) {
                            continue;
                        }
                        s.progress(t, 1);
                        if (t.id() % 5 == 0) {
                            s.cancel(t, new ActualCost(1, 0, 1));
                        } else {
                            s.complete(t, new ActualCost(t.estimate().promptTokens(), 0, 1));
                        }
                    }
                    return null;
                });
                for (Future<?> f : offers) {
                    f.get(60, TimeUnit.SECONDS);
                }
                offering.set(false);
                dispatcher.get(60, TimeUnit.SECONDS);
                settler.get(60, TimeUnit.SECONDS);
            }
            int stillRunning = s.snapshot().tenants().values().stream()
                    .mapToInt(SchedulerSnapshot.TenantState::running).sum();

            assertThat(new int[] {settled.get(), s.queued(), stillRunning}).as(policy.toString())
                    .containsExactly(admitted.get(), 0, 0);
        }
    }
}
