package io.fairlane.gateway.config;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The HTTP listener and its protections.
 *
 * @param host                 address to bind
 * @param port                 port to bind; 0 picks a free one (tests)
 * @param eventLoops           Netty event-loop threads; 0 means one per core
 * @param maxBodyBytes         largest request body accepted (413 beyond)
 * @param maxHeaderBytes       largest header block accepted (431 beyond)
 * @param maxUriLength         longest request line accepted (414 beyond)
 * @param idleTimeout          a connection with no request in progress and no traffic for this long is closed
 * @param headerReadTimeout    a client must finish sending its headers within this time of its first byte
 * @param shutdownDeadline     on SIGTERM, how long in-flight requests may take to finish
 * @param slowClientTimeout    a streaming client that stays unwritable this long has its request aborted
 * @param maxBufferedOutput    bytes a response may hold queued for a slow client before it is aborted
 * @param cacheDir             where synthetic models and other generated files are kept
 * @param preparationThreads   threads of the pool that prepares large requests off the event loops (parsing,
 *                             chat templates, tokenising, block hashing); 0 means half the cores
 * @param preparationQueue     requests that may wait for a preparation thread; beyond it they get 503
 * @param internalKey          the key routers sign the caller's tenant and token ids with; an engine replica
 *                             with it trusts what verifies, one without it ignores those headers
 * @param clientLimits         how slowly a body may arrive and how many connections clients may hold
 * @param transport            the socket transport asked for ({@link #TRANSPORTS}); see {@code http.Transport}
 */
public record ServerConfig(
        String host,
        int port,
        int eventLoops,
        long maxBodyBytes,
        int maxHeaderBytes,
        int maxUriLength,
        Duration idleTimeout,
        Duration headerReadTimeout,
        Duration shutdownDeadline,
        Duration slowClientTimeout,
        long maxBufferedOutput,
        Path cacheDir,
        int preparationThreads,
        int preparationQueue,
        ClientLimits clientLimits,
        Optional<InternalKey> internalKey,
        String transport) {

    /** The socket transports {@code transport} may name; {@code auto} takes the best the host offers. */
    public static final List<String> TRANSPORTS = List.of("auto", "io_uring", "epoll", "nio");

    /** Defaults of the preparation pool: threads (0 = half the cores) and queue. */
    public static final int DEFAULT_PREPARATION_THREADS = 0;
    public static final int DEFAULT_PREPARATION_QUEUE = 256;

    public ServerConfig {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(idleTimeout, "idleTimeout");
        Objects.requireNonNull(headerReadTimeout, "headerReadTimeout");
        Objects.requireNonNull(shutdownDeadline, "shutdownDeadline");
        Objects.requireNonNull(slowClientTimeout, "slowClientTimeout");
        Objects.requireNonNull(cacheDir, "cacheDir");
        Objects.requireNonNull(clientLimits, "clientLimits");
        Objects.requireNonNull(internalKey, "internalKey");
        if (!TRANSPORTS.contains(transport)) {
            throw new IllegalArgumentException("transport must be one of " + TRANSPORTS + ", was " + transport);
        }
        if (port < 0 || port > 65535) {
            throw new IllegalArgumentException("port must be in [0, 65535], was " + port);
        }
        if (preparationThreads < 0 || preparationQueue < 1) {
            throw new IllegalArgumentException("preparation threads must be >= 0 and queue >= 1, were "
                    + preparationThreads + " and " + preparationQueue);
        }
    }

    /** A server that trusts no router signature. */
    public ServerConfig(String host, int port, int eventLoops, long maxBodyBytes, int maxHeaderBytes, int maxUriLength,
                        Duration idleTimeout, Duration headerReadTimeout, Duration shutdownDeadline,
                        Duration slowClientTimeout, long maxBufferedOutput, Path cacheDir, int preparationThreads,
                        int preparationQueue, ClientLimits clientLimits) {
        this(host, port, eventLoops, maxBodyBytes, maxHeaderBytes, maxUriLength, idleTimeout, headerReadTimeout,
                shutdownDeadline, slowClientTimeout, maxBufferedOutput, cacheDir, preparationThreads, preparationQueue,
                clientLimits, Optional.empty(), "auto");
    }

    public ServerConfig withHost(String newHost) {
        return new ServerConfig(newHost, port, eventLoops, maxBodyBytes, maxHeaderBytes, maxUriLength, idleTimeout,
                headerReadTimeout, shutdownDeadline, slowClientTimeout, maxBufferedOutput, cacheDir, preparationThreads,
                preparationQueue, clientLimits, internalKey, transport);
    }

    public ServerConfig withPort(int newPort) {
        return new ServerConfig(host, newPort, eventLoops, maxBodyBytes, maxHeaderBytes, maxUriLength, idleTimeout,
                headerReadTimeout, shutdownDeadline, slowClientTimeout, maxBufferedOutput, cacheDir, preparationThreads,
                preparationQueue, clientLimits, internalKey, transport);
    }
}
