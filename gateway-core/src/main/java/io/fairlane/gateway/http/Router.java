package io.fairlane.gateway.http;

import io.netty.handler.codec.http.HttpMethod;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Maps a method and path to a handler. Exact paths, plus prefix routes for paths that end in an
 * identifier ({@code /v1/models/{id}}, where model ids may contain slashes). An unknown path answers
 * OpenAI's 404 {@code Invalid URL (METHOD /path)}; a known path with the wrong method answers 405 with
 * {@code Allow}. Built once; read by every event loop.
 */
public final class Router {

    private final Map<String, Map<HttpMethod, HttpHandler>> exact = new LinkedHashMap<>();
    private final List<Map.Entry<String, Map<HttpMethod, HttpHandler>>> prefixes = new ArrayList<>();
    /** Path → the methods whose requests stream their bodies: looked up by the path as it came, no key built. */
    private final Map<String, Set<HttpMethod>> streaming = new HashMap<>();

    /** Routes {@code method path} to {@code handler}. */
    public Router route(HttpMethod method, String path, HttpHandler handler) {
        exact.computeIfAbsent(path, p -> new LinkedHashMap<>()).put(method, Objects.requireNonNull(handler, "handler"));
        return this;
    }

    /**
     * Routes {@code method path} to a handler that reads the request body as it arrives
     * ({@link Exchange#requestBody()}) instead of receiving it whole: uploads larger than the body limit, never
     * held in memory.
     */
    public Router routeStreaming(HttpMethod method, String path, HttpHandler handler) {
        streaming.computeIfAbsent(path, p -> new HashSet<>()).add(method);
        return route(method, path, handler);
    }

    /** Whether requests to {@code method path} stream their bodies; read by every connection's body aggregator. */
    public boolean isStreaming(HttpMethod method, String path) {
        if (streaming.isEmpty()) {
            return false;
        }
        Set<HttpMethod> methods = streaming.get(path);
        if (methods == null && path.length() > 1 && path.endsWith("/")) {
            methods = streaming.get(path.substring(0, path.length() - 1));
        }
        return methods != null && methods.contains(method);
    }

    /** Routes every path starting with {@code prefix} (followed by at least one character). */
    public Router routePrefix(HttpMethod method, String prefix, HttpHandler handler) {
        for (Map.Entry<String, Map<HttpMethod, HttpHandler>> e : prefixes) {
            if (e.getKey().equals(prefix)) {
                e.getValue().put(method, handler);
                return this;
            }
        }
        Map<HttpMethod, HttpHandler> m = new LinkedHashMap<>();
        m.put(method, handler);
        prefixes.add(Map.entry(prefix, m));
        return this;
    }

    /**
     * The handler for a request; for an unknown path or method, a handler that answers the 404 or 405, so
     * that decorators (access log, metrics) see those requests too.
     */
    public HttpHandler resolve(HttpMethod method, String path) {
        try {
            return find(method, path);
        } catch (ApiException e) {
            return exchange -> {
                throw e;
            };
        }
    }

    private HttpHandler find(HttpMethod method, String path) {
        Map<HttpMethod, HttpHandler> byMethod = exact.get(path);
        if (byMethod == null && path.length() > 1 && path.endsWith("/")) {
            byMethod = exact.get(path.substring(0, path.length() - 1));
        }
        if (byMethod == null) {
            for (Map.Entry<String, Map<HttpMethod, HttpHandler>> e : prefixes) {
                if (path.startsWith(e.getKey()) && path.length() > e.getKey().length()) {
                    byMethod = e.getValue();
                    break;
                }
            }
        }
        if (byMethod == null) {
            throw new ApiException(new ApiError(404, "Invalid URL (" + method + " " + path + ")",
                    "invalid_request_error", null, null));
        }
        HttpHandler h = byMethod.get(method);
        if (h == null && HttpMethod.HEAD.equals(method)) {
            h = byMethod.get(HttpMethod.GET);
        }
        if (h == null) {
            String allow = byMethod.keySet().stream().map(HttpMethod::name).collect(Collectors.joining(", "));
            throw new ApiException(new ApiError(405, "Invalid method for URL (" + method + " " + path
                    + "); use " + allow + ".", "invalid_request_error", null, "method_not_allowed")
                    .withHeader("allow", allow));
        }
        return h;
    }
}
