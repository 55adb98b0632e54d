package io.fairlane.gateway.testing;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.AppenderBase;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.PooledByteBufAllocator;
import io.netty.buffer.UnpooledByteBufAllocator;
import java.util.ArrayList;
import java.util.List;

/**
 * Collects Netty's leak reports (the tests run with leak detection at {@code paranoid}). Netty reports a
 * leak when it tracks a new buffer after the leaked one was garbage collected, so {@link #check()} runs a
 * GC and allocates a few buffers before looking.
 */
public final class LeakRecorder extends AppenderBase<ILoggingEvent> {

    private static final List<String> LEAKS = new ArrayList<>();

    @Override
    protected void append(ILoggingEvent event) {
        String m = event.getFormattedMessage();
        if (m != null && m.contains("LEAK")) {
            synchronized (LEAKS) {
                LEAKS.add(m.length() > 4000 ? m.substring(0, 4000) : m);
            }
        }
    }

    /** Leak reports so far, after giving Netty the chance to report collected leaks; clears them. */
    public static List<String> check() {
        for (int i = 0; i < 3; i++) {
            System.gc();
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            for (int j = 0; j < 64; j++) {
                ByteBuf a = PooledByteBufAllocator.DEFAULT.buffer(16);
                a.release();
                ByteBuf b = UnpooledByteBufAllocator.DEFAULT.buffer(16);
                b.release();
                ByteBuf c = PooledByteBufAllocator.DEFAULT.directBuffer(16);
                c.release();
            }
        }
        synchronized (LEAKS) {
            List<String> out = List.copyOf(LEAKS);
            LEAKS.clear();
            return out;
        }
    }
}
