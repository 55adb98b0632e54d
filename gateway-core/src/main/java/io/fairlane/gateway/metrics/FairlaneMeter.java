package io.fairlane.gateway.metrics;

import java.util.List;

/**
 * Every meter Fairlane registers, in one place: its Micrometer name, type, unit, tags and meaning.
 * {@code docs/metrics.md} is generated from this enum and a test fails when the two disagree.
 *
 * <p>Names are Micrometer's dotted form; Prometheus renders dots as underscores, adds {@code _total} to
 * counters and {@code _seconds} to timers. Latency timers are histograms whose bucket boundaries include
 * every tenant's SLO threshold, so an SLO's good/bad split is read exactly from a bucket.
 */
public enum FairlaneMeter {

    REQUESTS("fairlane.requests", Type.COUNTER, null,
            "Requests answered, by endpoint and HTTP status (499: the client left first).",
            "tenant", "model", "endpoint", "status"),
    REQUESTS_IN_FLIGHT("fairlane.requests.in.flight", Type.GAUGE, null,
            "Requests in progress (queued or running).", "tenant", "model"),
    TIME_TO_FIRST_TOKEN("fairlane.time.to.first.token", Type.TIMER, "seconds",
            "From the request's arrival to its first output token.", "tenant", "model"),
    INTER_TOKEN_LATENCY("fairlane.inter.token.latency", Type.TIMER, "seconds",
            "Gap between consecutive output tokens of a streamed response (relayed from an upstream: between "
                    + "reads that carried output chunks).",
            "tenant", "model"),
    E2E_REQUEST_LATENCY("fairlane.e2e.request.latency", Type.TIMER, "seconds",
            "From the request's arrival to its last response byte.", "tenant", "model"),
    REQUEST_QUEUE_TIME("fairlane.request.queue.time", Type.TIMER, "seconds",
            "Time a request waited in its lane's tenant scheduler.", "tenant", "model"),
    TOKENS("fairlane.tokens", Type.COUNTER, null,
            "Tokens processed: prompt, cached (prompt tokens served from the prefix cache) and completion.",
            "tenant", "model", "kind"),
    PREFIX_CACHE_QUERIES("fairlane.prefix.cache.queries", Type.COUNTER, null,
            "Prompt tokens looked up in the engine's prefix cache.", "tenant", "model"),
    PREFIX_CACHE_HITS("fairlane.prefix.cache.hits", Type.COUNTER, null,
            "Prompt tokens found in the engine's prefix cache.", "tenant", "model"),
    KV_BLOCKS_HELD("fairlane.kv.blocks.held", Type.GAUGE, null,
            "KV-cache blocks the tenant's running sequences hold.", "tenant", "model"),
    ENGINE_PREEMPTIONS("fairlane.engine.preemptions", Type.COUNTER, null,
            "Times the tenant's sequences were preempted (recomputed later), by reason: kv_cache (a running sequence "
                    + "needed a KV block and none was free), fair_share (a tenant under its share could not start) or "
                    + "flex (a flex-tier sequence gave way to a priority or default request).",
            "tenant", "model", "reason"),
    ENGINE_RECOMPUTED_TOKENS("fairlane.engine.recomputed.tokens", Type.COUNTER, null,
            "Tokens the tenant's preempted sequences computed again when they resumed (charged to no tenant).",
            "tenant", "model"),
    ENGINE_PREEMPTED_SECONDS("fairlane.engine.preempted.seconds", Type.COUNTER, null,
            "Seconds the tenant's sequences spent preempted, waiting to resume, summed over sequences.",
            "tenant", "model"),
    SCHEDULER_QUEUE_DEPTH("fairlane.scheduler.queue.depth", Type.GAUGE, null,
            "Requests waiting in the lane's tenant scheduler.", "tenant", "lane"),
    SCHEDULER_BALANCE("fairlane.scheduler.balance", Type.GAUGE, null,
            "The policy's own number for the tenant: DRR/DLPM deficit, VTC counter, 0 for FCFS.", "tenant", "lane"),
    SCHEDULER_REJECTIONS("fairlane.scheduler.rejections", Type.COUNTER, null,
            "Requests the tenant scheduler refused, by reason (queue_full, requests_per_minute, ...).",
            "tenant", "lane", "reason"),
    ENGINE_BATCH_SIZE("fairlane.engine.batch.size", Type.SUMMARY, null,
            "Sequences in the engine's last forward step, sampled once a second.", "model"),
    ENGINE_SEQUENCES_RUNNING("fairlane.engine.sequences.running", Type.GAUGE, null,
            "Sequences in the engine's running batch.", "model"),
    ENGINE_SEQUENCES_WAITING("fairlane.engine.sequences.waiting", Type.GAUGE, null,
            "Requests waiting in the engine's tenant scheduler.", "model"),
    ENGINE_KV_USAGE("fairlane.engine.kv.usage", Type.GAUGE, null,
            "Share of KV-cache blocks in use by running sequences, 0..1.", "model"),
    ENGINE_GENERATED_TOKENS("fairlane.engine.generated.tokens", Type.COUNTER, null,
            "Output tokens the engine generated.", "model"),
    ENGINE_DEVICE_MEMORY_USED("fairlane.engine.device.memory.used", Type.GAUGE, "bytes",
            "Device memory the engine holds (0 on the CPU backend).", "model"),
    UPSTREAM_REQUESTS("fairlane.upstream.requests", Type.COUNTER, null,
            "Attempts sent to an upstream target, by outcome (ok, http_4xx, http_429, http_5xx, connect_error, reset, "
                    + "timeout, bad_response, cancelled, slow_client).", "target", "outcome"),
    UPSTREAM_LATENCY("fairlane.upstream.latency", Type.TIMER, "seconds",
            "From sending a request upstream to its response's last byte.", "target"),
    UPSTREAM_HEALTHY("fairlane.upstream.healthy", Type.GAUGE, null,
            "1 while the target's breaker lets it serve, 0 while it is ejected or failing (kept as the last usable "
                    + "target).", "target"),
    ROUTING_REQUESTS("fairlane.routing.requests", Type.COUNTER, null,
            "Upstream requests by the target that served them last and how they ended (ok, error, cancelled, "
                    + "slow_client).", "model", "target", "outcome"),
    ROUTING_ATTEMPTS("fairlane.routing.attempts", Type.SUMMARY, null,
            "Attempts an upstream request took (1 when its first target served it).", "model"),
    ROUTING_TOKENS("fairlane.routing.tokens", Type.COUNTER, null,
            "Tokens of upstream requests, billed once, to the target that served them: prompt, cached and completion.",
            "model", "target", "kind"),
    ROUTING_RETRIES("fairlane.routing.retries", Type.COUNTER, null,
            "Retries after a failed attempt: allowed, or refused because the model's retry budget was spent "
                    + "(budget_exhausted).", "model", "decision"),
    ROUTING_SPILLS("fairlane.routing.spills", Type.COUNTER, null,
            "Requests placed in a later priority group because the earlier one was saturated (in_flight, ttft), "
                    + "they waited too long (queue_wait), or a retry found it full (retry).",
            "model", "from", "to", "reason"),
    ROUTING_EJECTIONS("fairlane.routing.ejections", Type.COUNTER, null,
            "Breaker events of a target: ejected, restored (a half-open probe succeeded), kept_as_last (it would "
                    + "have been ejected but is the model's last usable target).", "model", "target", "event"),
    ROUTING_TARGET_IN_FLIGHT("fairlane.routing.target.in.flight", Type.GAUGE, null,
            "Requests in flight to the target now.", "model", "target"),
    ROUTING_TARGET_EJECTED("fairlane.routing.target.ejected", Type.GAUGE, null,
            "1 while the target is ejected by its breaker, else 0.", "model", "target"),
    ROUTING_TARGET_WEIGHT("fairlane.routing.target.weight", Type.GAUGE, null,
            "The target's configured weight within its priority group.", "model", "target"),
    CLUSTER_ROUTED("fairlane.cluster.routed", Type.COUNTER, null,
            "Requests a router placed on an engine replica, by why: affinity (the prompt prefix's own replica), "
                    + "overflow (its own was at its load bound), failover (its own was down, or a retry), "
                    + "least_loaded (a prompt shorter than one key block), round_robin (policy round_robin).",
            "model", "replica", "reason"),
    CLUSTER_REPLICA_CACHE_HIT_RATIO("fairlane.cluster.replica.cache.hit.ratio", Type.GAUGE, null,
            "An engine replica's prefix-cache hit ratio for the model (prompt tokens found cached over those looked "
                    + "up since it started), as its /internal/load last reported it.", "model", "replica"),
    SHADOW_REQUESTS("fairlane.shadow.requests", Type.COUNTER, null,
            "Mirrored requests by outcome: ok, error (non-2xx), timeout, failed, skipped (shadow concurrency full), "
                    + "dropped (answer too large).", "model", "outcome"),
    SHADOW_COMPARISONS("fairlane.shadow.comparisons", Type.COUNTER, null,
            "Shadow answers compared with the primary's, by field (status, finish_reason, tool_calls) and result "
                    + "(match, mismatch).", "model", "field", "result"),
    SHADOW_OUTPUT_RATIO("fairlane.shadow.output.ratio", Type.SUMMARY, null,
            "The shadow's output length over the primary's, for answers both gave with status 200.", "model"),
    SHADOW_LATENCY("fairlane.shadow.latency", Type.TIMER, "seconds",
            "Time to the last byte of mirrored requests, primary and shadow side by side.", "model", "side"),
    PREPARATION_QUEUE_DEPTH("fairlane.preparation.queue.depth", Type.GAUGE, null,
            "Requests waiting for a thread of the preparation pool, where large bodies are parsed and prompts rendered, "
                    + "tokenised and submitted off the event loops."),
    PREPARATION_ACTIVE("fairlane.preparation.active", Type.GAUGE, null,
            "Preparation-pool threads busy now."),
    PREPARATION_REJECTIONS("fairlane.preparation.rejections", Type.COUNTER, null,
            "Requests answered 503 because the preparation pool's queue was full."),
    CONNECTIONS_OPEN("fairlane.connections.open", Type.GAUGE, null,
            "Client connections open now (those refused over a connection cap are not counted)."),
    CONNECTION_EVENTS("fairlane.connection.events", Type.COUNTER, null,
            "Connection events outside a request's normal course, by kind (header_timeout, body_timeout, "
                    + "client_gone_mid_request, malformed_request, refused_address_limit, refused_total_limit, "
                    + "unexpected_error); each is also one log line, rate-limited.", "kind"),
    SLO_EVENTS("fairlane.slo.events", Type.COUNTER, null,
            "Requests classified against a tenant's SLO: failures on Fairlane's side are bad, the tenant's own 4xx "
                    + "are not counted.", "tenant", "slo", "outcome"),
    SLO_OBJECTIVE("fairlane.slo.objective", Type.GAUGE, null,
            "The SLO's target share of good requests.", "tenant", "slo"),
    SLO_BURN_RATE("fairlane.slo.burn.rate", Type.GAUGE, null,
            "In-process error-budget burn rate over a window: (bad/total) / (1 - objective); 0 without events.",
            "tenant", "slo", "window"),
    FILES_UPLOADED("fairlane.files.uploaded", Type.COUNTER, "bytes",
            "Bytes of files the tenant uploaded to /v1/files.", "tenant"),
    BATCH_LINES("fairlane.batch.lines", Type.COUNTER, null,
            "Batch lines finished, by outcome: completed (2xx answer), failed (an error answer, written to the error "
                    + "file) or retried (refused for now with 429/503, or a server error with attempts left).",
            "tenant", "outcome"),
    BATCH_QUEUE_AGE("fairlane.batch.queue.age", Type.TIMER, "seconds",
            "How long a batch line waited, from its batch starting (or its previous try) until it was sent to its "
                    + "lane.", "tenant"),
    BATCH_LINES_PENDING("fairlane.batch.lines.pending", Type.GAUGE, null,
            "Lines of the tenant's running batches not answered yet (all replicas), read from the store every few "
                    + "seconds.", "tenant"),
    BATCHES("fairlane.batches", Type.COUNTER, null,
            "Batches that reached a final status (completed, failed, expired, cancelled).", "tenant", "status"),
    SHARED_STATE_FALLBACK("fairlane.shared.state.fallback", Type.GAUGE, null,
            "1 while this replica cannot reach the Redis named in shared_state and decides rate limits (on buckets cut "
                    + "to fallback_share of each limit), idempotency keys and stored responses on its own; 0 otherwise."),
    SHARED_STATE_LOCAL_DECISIONS("fairlane.shared.state.local.decisions", Type.COUNTER, null,
            "Decisions this replica took alone because Redis was unreachable, by kind (rate_limit, "
                    + "idempotency_key, stored_response).", "kind");

    /** Micrometer meter types used here. */
    public enum Type { COUNTER, GAUGE, TIMER, SUMMARY }

    private final String meterName;
    private final Type type;
    private final String baseUnit;
    private final String description;
    private final List<String> tags;

    FairlaneMeter(String meterName, Type type, String baseUnit, String description, String... tags) {
        this.meterName = meterName;
        this.type = type;
        this.baseUnit = baseUnit;
        this.description = description;
        this.tags = List.of(tags);
    }

    public String meterName() {
        return meterName;
    }

    public Type type() {
        return type;
    }

    /** The unit Micrometer appends to the Prometheus name, or null. */
    public String baseUnit() {
        return baseUnit;
    }

    public String description() {
        return description;
    }

    public List<String> tags() {
        return tags;
    }
}
