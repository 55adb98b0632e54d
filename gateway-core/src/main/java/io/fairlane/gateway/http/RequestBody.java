package io.fairlane.gateway.http;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.concurrent.ScheduledFuture;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The body of a request on a streaming route ({@link Router#routeStreaming}), handed over as it arrives instead
 * of being collected whole: a file upload of hundreds of megabytes passes through a bounded window of memory.
 *
 * <p>Two threads meet here. The connection's event loop {@linkplain #offer offers} each chunk as the codec
 * decodes it; a consumer (a virtual thread writing to storage) reads them through {@link #stream()}, blocking
 * while none is there. Backpressure: when more than {@value #HIGH_WATER} bytes wait, the channel stops reading
 * from the socket ({@code autoRead} off), so TCP's window pushes back on the client; once the consumer has taken
 * the queue below {@value #LOW_WATER}, reading resumes.
 *
 * <p>Body deadline: {@link #enforceMinimumRate} cuts off a client that sends slower than a rate, measured over
 * windows in which the gateway itself was not holding reads back. The idle timer alone would not do: any byte
 * resets it, so one byte a second would hold the connection for ever.
 *
 * <p>When the exchange ends before the body did (an early error, a client that left), the rest is discarded and
 * the connection closes after the response, since the unread remainder would otherwise be taken for the next
 * request.
 */
public final class RequestBody {

    /** Bytes queued beyond which the socket is no longer read. */
    static final int HIGH_WATER = 1 << 20;
    /** Bytes queued below which reading resumes. */
    static final int LOW_WATER = 256 << 10;

    private final Channel channel;
    private final ReentrantLock lock = new ReentrantLock();
    private final Condition arrived = lock.newCondition();
    private final ArrayDeque<ByteBuf> queue = new ArrayDeque<>();
    private long queuedBytes;          // guarded by lock
    private boolean ended;             // guarded by lock: the last chunk arrived
    private IOException failure;       // guarded by lock
    private boolean discarded;         // guarded by lock
    private volatile long received;
    private volatile boolean paused;   // written on the event loop
    private boolean pausedThisWindow;  // event loop only
    private long receivedAtWindowStart; // event loop only
    private ScheduledFuture<?> rateCheck; // event loop only

    RequestBody(Channel channel) {
        this.channel = channel;
    }

    /** A chunk from the codec, on the event loop; takes ownership of it. */
    void offer(HttpContent content) {
        ByteBuf bytes = content.content();
        boolean last = content instanceof LastHttpContent;
        boolean pause;
        lock.lock();
        try {
            if (discarded || ended || failure != null) {
                content.release();
                return;
            }
            if (bytes.isReadable()) {
                queue.add(bytes);
                queuedBytes += bytes.readableBytes();
                received += bytes.readableBytes();
            } else {
                content.release();
            }
            ended = last;
            arrived.signalAll();
            pause = queuedBytes > HIGH_WATER && !last;
        } finally {
            lock.unlock();
        }
        if (last) {
            stopRateCheck();
        }
        if (pause && !paused) {
            paused = true;
            pausedThisWindow = true;
            channel.config().setAutoRead(false);
        }
    }

    /** The body cannot complete (the client left, or was too slow): readers get {@code cause}. */
    void fail(IOException cause) {
        lock.lock();
        try {
            if (failure == null && !ended) {
                failure = cause;
            }
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        stopRateCheck();
    }

    /** Releases what is queued and whatever arrives later; the reader sees the end of the stream. */
    public void discard() {
        lock.lock();
        try {
            discarded = true;
            releaseQueued();
            arrived.signalAll();
        } finally {
            lock.unlock();
        }
        if (channel.eventLoop().inEventLoop()) {
            stopRateCheck();
        } else {
            channel.eventLoop().execute(this::stopRateCheck);
        }
    }

    /** Whether the last chunk has arrived (the whole body was received, not necessarily read). */
    public boolean isComplete() {
        lock.lock();
        try {
            return ended;
        } finally {
            lock.unlock();
        }
    }

    /** Whether the body failed (its client left, or sent it too slowly): nothing more is worth reading. */
    public boolean hasFailed() {
        lock.lock();
        try {
            return failure != null;
        } finally {
            lock.unlock();
        }
    }

    /** Bytes received so far. */
    public long received() {
        return received;
    }

    /**
     * Fails the body with {@link TooSlow} when, over a window of {@code window} during which reads were not held
     * back by the gateway, fewer than {@code bytesPerSecond} per second arrived. Call on the event loop, once.
     */
    public void enforceMinimumRate(long bytesPerSecond, Duration window) {
        if (bytesPerSecond <= 0 || rateCheck != null) {
            return;
        }
        long windowNanos = window.toNanos();
        long minimum = Math.max(1, (long) (bytesPerSecond * (windowNanos / 1e9)));
        receivedAtWindowStart = received;
        rateCheck = channel.eventLoop().scheduleAtFixedRate(() -> {
            long now = received;
            boolean tooSlow = !pausedThisWindow && !paused && now - receivedAtWindowStart < minimum;
            receivedAtWindowStart = now;
            pausedThisWindow = paused;
            if (tooSlow && !isComplete()) {
                fail(new TooSlow("The request body arrived slower than " + bytesPerSecond + " bytes per second "
                        + "over " + window.toSeconds() + " s; send it faster or in smaller files."));
            }
        }, windowNanos, windowNanos, TimeUnit.NANOSECONDS);
    }

    private void stopRateCheck() {
        if (rateCheck != null) {
            rateCheck.cancel(false);
            rateCheck = null;
        }
    }

    /**
     * The body as a blocking stream, for one consumer thread (never an event loop). It ends when the body did;
     * reading throws the failure when the body could not complete.
     */
    public InputStream stream() {
        return new InputStream() {
            private ByteBuf current;

            @Override
            public int read() throws IOException {
                byte[] one = new byte[1];
                int n = read(one, 0, 1);
                return n < 0 ? -1 : one[0] & 0xFF;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
                if (len == 0) {
                    return 0;
                }
                if (current == null || !current.isReadable()) {
                    if (current != null) {
                        current.release();
                        current = null;
                    }
                    current = take();
                    if (current == null) {
                        return -1;
                    }
                }
                int n = Math.min(len, current.readableBytes());
                current.readBytes(b, off, n);
                return n;
            }

            @Override
            public void close() {
                if (current != null) {
                    current.release();
                    current = null;
                }
            }
        };
    }

    /** The next queued chunk, waiting for one; null at the end. */
    private ByteBuf take() throws IOException {
        ByteBuf next;
        boolean resume;
        lock.lock();
        try {
            while (queue.isEmpty() && !ended && failure == null && !discarded) {
                try {
                    arrived.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new InterruptedIOException("interrupted while waiting for the request body");
                }
            }
            if (failure != null) {
                releaseQueued();
                throw failure;
            }
            next = queue.poll();
            if (next == null) {
                return null;
            }
            queuedBytes -= next.readableBytes();
            resume = paused && queuedBytes < LOW_WATER;
        } finally {
            lock.unlock();
        }
        if (resume) {
            channel.eventLoop().execute(this::resume);
        }
        return next;
    }

    private void resume() {
        if (paused) {
            paused = false;
            channel.config().setAutoRead(true);
        }
    }

    private void releaseQueued() {
        ByteBuf b;
        while ((b = queue.poll()) != null) {
            b.release();
        }
        queuedBytes = 0;
    }

    /** The client sent the body too slowly: answered with 408, and the connection closed. */
    public static final class TooSlow extends IOException {
        private static final long serialVersionUID = 1L;

        public TooSlow(String message) {
            super(message);
        }
    }
}
