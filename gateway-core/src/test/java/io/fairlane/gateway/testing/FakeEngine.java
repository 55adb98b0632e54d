package io.fairlane.gateway.testing;

import io.fairlane.engine.EmbeddingRequest;
import io.fairlane.engine.EmbeddingResult;
import io.fairlane.engine.EngineException;
import io.fairlane.engine.EngineSnapshot;
import io.fairlane.engine.FinishReason;
import io.fairlane.engine.GenerationRequest;
import io.fairlane.engine.GenerationStream;
import io.fairlane.engine.InferenceEngine;
import io.fairlane.engine.ModelInfo;
import io.fairlane.engine.OutputConstraint;
import io.fairlane.engine.PreparedPrompt;
import io.fairlane.engine.Prompt;
import io.fairlane.engine.TokenEvent;
import io.fairlane.engine.TokenSink;
import io.fairlane.engine.Usage;
import io.fairlane.engine.grammar.Grammars;
import io.fairlane.engine.grammar.SchemaException;
import io.fairlane.scheduler.TenantSpec;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * An engine that answers from a script chosen by markers in the prompt, on its own "loop" thread, as the
 * real engine does. Prompts tokenize to one token per character; chat prompts render as
 * {@code role: content} lines (tools listed by name).
 * <ul>
 *   <li>default: "Hello from the fake engine." in word tokens (cut at max_tokens: finish {@code length});</li>
 *   <li>{@code [tool]}: one Hermes-style tool call split across tokens; {@code [tools2]}: two calls;</li>
 *   <li>{@code [slow]}: a token every 20 ms, 500 of them, until aborted;</li>
 *   <li>{@code [fail]}: one token, then an engine fault;</li>
 *   <li>{@code [hold]}: {@code prepare} waits until {@link #releaseHeld()} (after {@link #holdPrepares()}).</li>
 * </ul>
 * An aborted or failed request ends with {@code Failed} carrying what it used (its prompt and the tokens it
 * produced), as the real engine's does. Records aborted request ids, the thread each request was submitted from
 * and the tokens each generated.
 */
public final class FakeEngine implements InferenceEngine {

    public static final int CONTEXT = 512;
    public static final int HIDDEN = 8;

    private final ScheduledExecutorService loop = Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("fake-engine-loop").factory());
    private final Set<String> aborted = ConcurrentHashMap.newKeySet();
    private final Map<String, Boolean> running = new ConcurrentHashMap<>();
    private final List<GenerationRequest> submitted = new CopyOnWriteArrayList<>();
    private final List<Prompt> prepared = new CopyOnWriteArrayList<>();
    private final List<int[]> trustedIds = new CopyOnWriteArrayList<>();
    private final Map<String, String> submittedOn = new ConcurrentHashMap<>();
    private final Map<String, Integer> generated = new ConcurrentHashMap<>();
    private volatile CountDownLatch holdEntered = new CountDownLatch(0);
    private volatile CountDownLatch holdReleased = new CountDownLatch(0);

    @Override
    public ModelInfo model() {
        return new ModelInfo("local-tiny", "llama", CONTEXT, 65536, HIDDEN, true, "cpu", "fp_fake0001", List.of(0));
    }

    @Override
    public PreparedPrompt prepare(Prompt prompt) {
        this.prepared.add(prompt);
        PreparedPrompt prepared = render(prompt);
        if (prepared.text().contains("[hold]")) {
            holdEntered.countDown();
            try {
                holdReleased.await(10, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        return prepared;
    }

    /** Records the ids it was given (a router's), then prepares as without them. */
    @Override
    public PreparedPrompt prepare(Prompt prompt, int[] tokenIds) {
        trustedIds.add(tokenIds.clone());
        return prepare(prompt);
    }

    /** The token ids prompts were prepared with (verified ids a router signed), oldest first. */
    public List<int[]> trustedIds() {
        return trustedIds;
    }

    /** From now on a prompt with {@code [hold]} waits in {@code prepare} until {@link #releaseHeld()}. */
    public void holdPrepares() {
        holdEntered = new CountDownLatch(1);
        holdReleased = new CountDownLatch(1);
    }

    /** Waits until a held prompt is in {@code prepare}; false after {@code timeout}. */
    public boolean awaitHeld(Duration timeout) throws InterruptedException {
        return holdEntered.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    public void releaseHeld() {
        holdReleased.countDown();
    }

    /** The chat prompts prepared so far whose messages mention {@code marker}, oldest first. */
    public List<Prompt.Chat> preparedChats(String marker) {
        return prepared.stream().filter(p -> p instanceof Prompt.Chat c && c.messages().toString().contains(marker))
                .map(p -> (Prompt.Chat) p).toList();
    }

    /** The name of the thread that submitted request {@code requestId}, or null. */
    public String submittedOn(String requestId) {
        return submittedOn.get(requestId);
    }

    private static PreparedPrompt render(Prompt prompt) {
        String text = switch (prompt) {
            case Prompt.Text t -> t.text();
            case Prompt.TokenIds ids -> {
                StringBuilder sb = new StringBuilder();
                for (int id : ids.ids()) {
                    sb.appendCodePoint(Math.max(32, id % 0x7f));
                }
                yield sb.toString();
            }
            case Prompt.Chat c -> {
                StringBuilder sb = new StringBuilder();
                for (Map<String, Object> m : c.messages()) {
                    sb.append(m.get("role")).append(": ").append(m.get("content")).append('\n');
                }
                for (Map<String, Object> t : c.tools()) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> fn = (Map<String, Object>) t.get("function");
                    sb.append("tool: ").append(fn.get("name")).append('\n');
                }
                yield sb.toString();
            }
        };
        int[] ids = prompt instanceof Prompt.TokenIds t ? t.ids() : text.chars().toArray();
        return new PreparedPrompt(ids, text);
    }

    @Override
    public GenerationStream submit(GenerationRequest request, TokenSink sink) {
        if (request.prompt().length() + request.sampling().maxTokens() > CONTEXT) {
            throw new EngineException(EngineException.Kind.CONTEXT_LENGTH_EXCEEDED, "This model's maximum context "
                    + "length is " + CONTEXT + " tokens.", "messages");
        }
        submitted.add(request);
        submittedOn.put(request.requestId(), Thread.currentThread().getName());
        running.put(request.requestId(), true);
        String text = request.prompt().text();
        List<String> script;
        boolean slow = text.contains("[slow]");
        boolean fail = text.contains("[fail]");
        if (request.sampling().constraint() != null && Grammars.needsGrammar(request.sampling().constraint())) {
            // Refuses what the real engine refuses, the same way (it compiles at submission).
            try {
                Grammars.compile(request.sampling().constraint());
            } catch (SchemaException e) {
                throw new EngineException(EngineException.Kind.INVALID_REQUEST, "Invalid schema: " + e.getMessage(),
                        request.sampling().constraint() instanceof OutputConstraint.JsonSchema ? "response_format"
                                : "tools", null, e);
            }
        }
        boolean think = text.contains("[think]");
        if (request.sampling().constraint() instanceof OutputConstraint.ToolCall call) {
            // What the constraint lets a model write, cut at awkward places: inside the name and the arguments.
            String name = call.names().getLast();
            script = List.of("{\"name\": \"" + name.substring(0, 2), name.substring(2) + "\", \"argu",
                    "ments\": {\"city\"", ": \"Par", "is\"}", "}");
        } else if (request.sampling().constraint() instanceof OutputConstraint.JsonSchema) {
            script = List.of("{\"city\"", ": \"Oslo\"", "}");
        } else if (request.sampling().constraint() instanceof OutputConstraint.JsonObject) {
            script = List.of("{\"answer\"", ": 42", "}");
        } else if (text.contains("[tools2]")) {
            script = List.of("<tool", "_call>\n{\"name\": \"get_weather\", ", "\"arguments\": {\"city\": \"Paris\"}}",
                    "\n</tool_call>", "\n<tool_call>\n", "{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Oslo\"}}\n",
                    "</tool_call>");
        } else if (text.contains("[tool]")) {
            script = List.of("<tool_call>", "\n{\"name\": \"get_weather\"", ", \"arguments\": {\"city\": \"Paris\"}}\n",
                    "</tool", "_call>");
        } else if (think) {
            // A thinking model's output: the block (tags and the whitespace after it flagged), then the answer.
            script = List.of("<think>", "\nLet me", " think.", "\n</think>", "\n\n", "The answer", " is 42.");
        } else if (slow) {
            List<String> s = new ArrayList<>();
            for (int i = 0; i < 500; i++) {
                s.add(" tick");
            }
            script = s;
        } else {
            script = List.of("Hello", " from", " the", " fake", " engine", ".");
        }
        int max = request.sampling().maxTokens();
        Runnable run = () -> {
            sink.accept(new TokenEvent.Scheduled(1_000_000, request.prompt().length() / 2));
            int completion = 0;
            int reasoning = 0;
            for (int c = 0; c < request.n(); c++) {
                int produced = 0;
                for (String piece : script) {
                    if (produced == max) {
                        break;
                    }
                    if (aborted.contains(request.requestId())) {
                        running.remove(request.requestId());
                        sink.accept(new TokenEvent.Failed(new EngineException(EngineException.Kind.ABORTED,
                                "aborted", null), usage(request, completion + produced)));
                        return;
                    }
                    if (slow) {
                        sleep(20);
                    }
                    TokenEvent.TokenLogprob lp = request.sampling().logprobs()
                            ? new TokenEvent.TokenLogprob(piece, piece.getBytes(StandardCharsets.UTF_8), -0.25,
                            List.of(new TokenEvent.Alternative(piece, piece.getBytes(StandardCharsets.UTF_8), -0.25),
                                    new TokenEvent.Alternative("x", new byte[] {'x'}, -2.5)))
                            : null;
                    sink.accept(new TokenEvent.Token(c, produced, piece, lp, think && produced < 5));
                    produced++;
                    generated.merge(request.requestId(), 1, Integer::sum);
                    if (fail) {
                        running.remove(request.requestId());
                        sink.accept(new TokenEvent.Failed(new EngineException(EngineException.Kind.INTERNAL,
                                "simulated engine fault", null), usage(request, completion + produced)));
                        return;
                    }
                }
                completion += produced;
                reasoning += think ? Math.min(5, produced) : 0;
                sink.accept(new TokenEvent.ChoiceFinished(c, produced == max && produced < script.size()
                        ? FinishReason.LENGTH : FinishReason.STOP, produced));
            }
            running.remove(request.requestId());
            sink.accept(new TokenEvent.Finished(usage(request, completion, reasoning)));
        };
        loop.execute(run);
        return new GenerationStream() {
            @Override
            public String requestId() {
                return request.requestId();
            }

            @Override
            public void cancel() {
                abort(request.requestId());
            }
        };
    }

    private static Usage usage(GenerationRequest request, int completion) {
        return usage(request, completion, 0);
    }

    private static Usage usage(GenerationRequest request, int completion, int reasoning) {
        return new Usage(request.prompt().length(), request.prompt().length() / 2, completion, reasoning);
    }

    /** Tokens request {@code requestId} generated (0 when none, or unknown). */
    public int generated(String requestId) {
        return generated.getOrDefault(requestId, 0);
    }

    private static void sleep(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void abort(String requestId) {
        aborted.add(requestId);
    }

    /** Whether the request was aborted (client gone, slow client). */
    public boolean wasAborted(String requestId) {
        return aborted.contains(requestId);
    }

    /** Requests still generating. */
    public int running() {
        return running.size();
    }

    public List<GenerationRequest> submitted() {
        return submitted;
    }

    @Override
    public CompletableFuture<EmbeddingResult> embed(EmbeddingRequest request) {
        return CompletableFuture.supplyAsync(() -> {
            List<float[]> vectors = new ArrayList<>();
            int tokens = 0;
            int dims = request.dimensions() > 0 ? request.dimensions() : HIDDEN;
            for (PreparedPrompt p : request.inputs()) {
                tokens += p.length();
                float[] v = new float[dims];
                double norm = 0;
                for (int i = 0; i < dims; i++) {
                    v[i] = (float) Math.sin(p.length() + i + 1);
                    norm += v[i] * v[i];
                }
                for (int i = 0; i < dims; i++) {
                    v[i] /= (float) Math.sqrt(norm);
                }
                vectors.add(v);
            }
            return new EmbeddingResult(vectors, tokens);
        }, loop);
    }

    @Override
    public EngineSnapshot snapshot() {
        return new EngineSnapshot(running.size(), 0, 100, running.size(), 0, 0, 0, 0, running.size(), 0, Map.of(
                "demo", new EngineSnapshot.TenantCacheStats(10, 5, running.size(), 0)));
    }

    @Override
    public void updateTenants(List<TenantSpec> tenants) {
    }

    @Override
    public void close() {
        loop.shutdownNow();
        try {
            loop.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
