package io.fairlane.gateway.cluster;

import java.net.InetAddress;
import java.net.URI;
import java.net.UnknownHostException;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Where the engine replicas of one model are: a fixed list of base URLs, or a DNS name whose A/AAAA records are the
 * replicas (a Kubernetes headless Service lists one record per ready pod). A DNS name is resolved again every
 * {@code interval} on a virtual thread, and the listener hears of every change, so replicas join and leave without a
 * restart. A failed lookup keeps the last known set (a DNS hiccup must not empty the ring) and is logged once until
 * a lookup succeeds again.
 *
 * <p>Thread-safe: the listener is called from the resolving thread only, one change at a time.
 */
public final class Discovery implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(Discovery.class);

    /** Looks a host name up; {@link InetAddress#getAllByName} outside tests. */
    @FunctionalInterface
    public interface Resolver {
        List<InetAddress> resolve(String host) throws UnknownHostException;
    }

    /** The system resolver. The JVM caches answers for {@code networkaddress.cache.ttl} (30 s by default). */
    public static final Resolver SYSTEM = host -> Arrays.asList(InetAddress.getAllByName(host));

    /**
     * Names answered by a resolver of their own instead of {@link #SYSTEM}: how a test in this package stands in for
     * a DNS server whose records change while a router runs. Empty in production; nothing outside this package can
     * add to it.
     */
    static final Map<String, Resolver> OWN_RESOLVERS = new ConcurrentHashMap<>();

    private final String host;
    private final int port;
    private final String scheme;
    private final Resolver resolver;
    private final Consumer<Set<URI>> listener;
    private final Thread thread;
    private Set<URI> current = Set.of();
    private boolean failing;
    private volatile boolean closed;

    private Discovery(String scheme, String host, int port, Resolver resolver, Duration interval,
                      Consumer<Set<URI>> listener) {
        this.scheme = scheme;
        this.host = host;
        this.port = port;
        this.resolver = resolver;
        this.listener = listener;
        if (interval == null) {
            this.thread = null;
            return;
        }
        refresh();
        this.thread = Thread.ofVirtual().name("discovery-" + host).start(() -> {
            while (!closed) {
                try {
                    Thread.sleep(interval);
                } catch (InterruptedException e) {
                    return;
                }
                refresh();
            }
        });
    }

    /** A fixed set of replicas, told to {@code listener} once, now. */
    public static Discovery fixed(List<URI> replicas, Consumer<Set<URI>> listener) {
        Discovery d = new Discovery(null, null, 0, null, null, listener);
        d.publish(new TreeSet<>(replicas));
        return d;
    }

    /**
     * Replicas at every address {@code host} resolves to, on {@code port}, resolved now and then every
     * {@code interval}.
     */
    public static Discovery dns(String scheme, String host, int port, Duration interval, Resolver resolver,
                                Consumer<Set<URI>> listener) {
        Objects.requireNonNull(host, "host");
        Objects.requireNonNull(interval, "interval");
        if (interval.isZero() || interval.isNegative()) {
            throw new IllegalArgumentException("interval must be positive, was " + interval);
        }
        return new Discovery(scheme, host, port, Objects.requireNonNull(resolver, "resolver"), interval,
                Objects.requireNonNull(listener, "listener"));
    }

    /** The resolver for {@code host}: its own when one is registered, else {@link #SYSTEM}. */
    static Resolver resolverFor(String host) {
        Resolver own = OWN_RESOLVERS.get(host);
        return own != null ? own : SYSTEM;
    }

    /** Resolves the name once and tells the listener if the set changed. */
    synchronized void refresh() {
        List<InetAddress> addresses;
        try {
            addresses = resolver.resolve(host);
        } catch (UnknownHostException | RuntimeException e) {
            if (!failing) {
                failing = true;
                LOG.warn("cannot resolve engine replicas at {} ({}); keeping the {} known", host, e.getMessage(),
                        current.size());
            }
            return;
        }
        if (failing) {
            failing = false;
            LOG.info("engine replicas at {} resolve again", host);
        }
        Set<URI> next = new TreeSet<>();
        for (InetAddress a : addresses) {
            String literal = a.getHostAddress();
            next.add(URI.create(scheme + "://" + (literal.contains(":") ? "[" + literal + "]" : literal) + ":" + port));
        }
        publish(next);
    }

    private synchronized void publish(Set<URI> next) {
        if (!next.equals(current)) {
            LOG.info("engine replicas{}: {}", host == null ? "" : " at " + host, next);
            current = Set.copyOf(next);
            listener.accept(current);
        }
    }

    /** The replicas known now. */
    public synchronized Set<URI> current() {
        return current;
    }

    @Override
    public void close() {
        closed = true;
        if (thread != null) {
            thread.interrupt();
        }
    }
}
