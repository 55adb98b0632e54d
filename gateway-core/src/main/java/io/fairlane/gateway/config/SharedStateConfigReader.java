package io.fairlane.gateway.config;

import java.net.URI;
import java.net.URISyntaxException;
import java.time.Duration;
import java.util.Optional;

/** Reads the {@code shared_state} section into a {@link SharedStateConfig}, adding every problem with its path. */
final class SharedStateConfigReader {

    private SharedStateConfigReader() {
    }

    static SharedStateConfig read(Optional<ConfigNode> section) {
        if (section.isEmpty()) {
            return SharedStateConfig.NONE;
        }
        ConfigNode n = section.get();
        SharedStateConfig d = SharedStateConfig.NONE;
        Optional<URI> redis = Optional.empty();
        String url = n.string("redis", null);
        if (url != null) {
            try {
                URI uri = new URI(url);
                if (!"redis".equals(uri.getScheme()) && !"rediss".equals(uri.getScheme()) || uri.getHost() == null) {
                    n.error("redis", "expected redis://host:port[/db] or rediss://..., got '" + url + "'");
                } else {
                    redis = Optional.of(uri);
                }
            } catch (URISyntaxException e) {
                n.error("redis", "is not a valid URL: " + e.getMessage());
            }
        }
        Duration timeout = positive(n, "timeout", d.timeout());
        String prefix = n.string("key_prefix", d.keyPrefix());
        double share = n.number("fallback_share", d.fallbackShare(), 0, 1, true);
        Duration retry = positive(n, "retry_interval", d.retryInterval());
        n.finish();
        return new SharedStateConfig(redis, timeout, prefix, share, retry);
    }

    private static Duration positive(ConfigNode n, String key, Duration fallback) {
        Duration v = n.duration(key, fallback);
        if (v.isZero() || v.isNegative()) {
            n.error(key, "must be longer than 0");
            return fallback;
        }
        return v;
    }
}
