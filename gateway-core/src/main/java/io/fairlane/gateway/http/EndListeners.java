package io.fairlane.gateway.http;

import io.netty.channel.EventLoop;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What runs when an {@link Exchange} ends: the client-gone listeners (cancel the work behind it), the ending
 * listeners (settle what it used), then the done listeners (access log, metrics, SLOs), which wait for held
 * settlements up to {@link Exchange#SETTLEMENT_WAIT_MILLIS}. Kept apart from the exchange, which owns the response;
 * a listener that throws is logged and the others still run.
 *
 * <p>Confined to the exchange's event loop.
 */
final class EndListeners {

    private static final Logger LOG = LoggerFactory.getLogger(EndListeners.class);

    private final String requestId;
    private final List<Runnable> gone = new ArrayList<>(2);
    private final List<Runnable> ending = new ArrayList<>(1);
    private final List<Consumer<Exchange>> done = new ArrayList<>(4);
    /** Work still to report what the request used; the done listeners wait for it. */
    private int settlementHolds;
    private boolean donePending;
    private ScheduledFuture<?> settlementTimer;
    private Exchange ended;

    EndListeners(String requestId) {
        this.requestId = requestId;
    }

    void onClientGone(Runnable listener) {
        gone.add(Objects.requireNonNull(listener, "listener"));
    }

    void onDone(Consumer<Exchange> listener) {
        done.add(Objects.requireNonNull(listener, "listener"));
    }

    void onEnding(Runnable listener) {
        ending.add(Objects.requireNonNull(listener, "listener"));
    }

    /** See {@link Exchange#holdSettlement}. */
    Runnable holdSettlement() {
        settlementHolds++;
        boolean[] released = {false};
        return () -> {
            if (!released[0]) {
                released[0] = true;
                settlementHolds--;
                if (settlementHolds == 0 && donePending) {
                    notifyDone();
                }
            }
        };
    }

    void clientGone() {
        run(gone, "cancelling request {} after its client left failed");
    }

    /** The exchange ended: settle, then tell the done listeners now or once the held settlements are released. */
    void ended(Exchange exchange, EventLoop loop) {
        this.ended = exchange;
        run(ending, "settlement of request {} failed");
        if (settlementHolds > 0) {
            donePending = true;
            try {
                settlementTimer = loop.schedule(() -> {
                    if (donePending) {
                        LOG.debug("request {}: usage not reported within {} ms of its end", requestId,
                                Exchange.SETTLEMENT_WAIT_MILLIS);
                        notifyDone();
                    }
                }, Exchange.SETTLEMENT_WAIT_MILLIS, TimeUnit.MILLISECONDS);
                return;
            } catch (RejectedExecutionException e) {
                // The server is stopping: nothing will report any more.
            }
        }
        notifyDone();
    }

    private void notifyDone() {
        donePending = false;
        if (settlementTimer != null) {
            settlementTimer.cancel(false);
            settlementTimer = null;
        }
        for (Consumer<Exchange> l : done) {
            try {
                l.accept(ended);
            } catch (RuntimeException e) {
                LOG.warn("completion listener of request {} failed", requestId, e);
            }
        }
    }

    private void run(List<Runnable> listeners, String failure) {
        for (Runnable r : listeners) {
            try {
                r.run();
            } catch (RuntimeException e) {
                LOG.warn(failure, requestId, e);
            }
        }
    }
}
