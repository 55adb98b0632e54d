package io.fairlane.gateway;

import io.fairlane.gateway.batches.Batches;
import io.fairlane.gateway.batches.BatchesApi;
import io.fairlane.gateway.batches.LineDispatcher;
import io.fairlane.gateway.config.FairlaneConfig;
import io.fairlane.gateway.files.ExpirySweeper;
import io.fairlane.gateway.files.FileStore;
import io.fairlane.gateway.files.FilesApi;
import io.fairlane.gateway.http.HttpHandler;
import io.fairlane.gateway.http.InProcessRequests;
import io.fairlane.gateway.http.Router;
import io.fairlane.gateway.lane.Lanes;
import io.fairlane.gateway.metrics.BatchMeters;
import io.fairlane.gateway.store.DurableState;
import io.netty.handler.codec.http.HttpMethod;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.BiFunction;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Wires {@code /v1/files} and {@code /v1/batches} onto durable state: the file store once the database is open, the
 * batch runner once the server is up (its lines go through the server's own router), their routes, and their
 * shutdown. Part of the composition root, kept apart from {@link Gateway} so the features stay in one place.
 */
final class FilesAndBatches implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FilesAndBatches.class);
    private static final String FILES = "/v1/files";
    private static final String BATCHES = "/v1/batches";

    private final Supplier<FairlaneConfig> config;
    private final Supplier<Lanes> lanes;
    private final BatchMeters meters;
    private final ExecutorService blocking = Executors.newThreadPerTaskExecutor(
            Thread.ofVirtual().name("storage-", 0).factory());
    private final CompletableFuture<FileStore> files;
    private final CompletableFuture<Batches> batches = new CompletableFuture<>();
    private final ExpirySweeper sweeper;

    FilesAndBatches(DurableState durable, Supplier<FairlaneConfig> config, Supplier<Lanes> lanes, BatchMeters meters) {
        this.config = config;
        this.lanes = lanes;
        this.meters = meters;
        this.files = durable.database().thenApply(db -> {
            if (db == null) {
                throw new DurableState.Unavailable("the gateway is shutting down");
            }
            return FileStore.open(db);
        });
        this.sweeper = ExpirySweeper.start(files);
    }

    /** Adds the routes; {@code endpoint} names a route's endpoint for metrics and logs. */
    void routes(Router r, Function<HttpHandler, HttpHandler> authenticated, Function<HttpHandler, HttpHandler> idempotent,
                BiFunction<String, HttpHandler, HttpHandler> endpoint) {
        FilesApi filesApi = new FilesApi(files, () -> config.get().files(), meters, blocking);
        BatchesApi batchesApi = new BatchesApi(batches, files, () -> config.get().batches(), blocking);
        r.routeStreaming(HttpMethod.POST, FILES, endpoint.apply("files", authenticated.apply(filesApi.upload())))
                .route(HttpMethod.GET, FILES, endpoint.apply("files", authenticated.apply(filesApi.list())))
                .routePrefix(HttpMethod.GET, FILES + "/", endpoint.apply("files",
                        authenticated.apply(filesApi.get(FILES + "/"))))
                .routePrefix(HttpMethod.DELETE, FILES + "/", endpoint.apply("files",
                        authenticated.apply(filesApi.delete(FILES + "/"))))
                .route(HttpMethod.POST, BATCHES, endpoint.apply("batches", idempotent.apply(batchesApi.create())))
                .route(HttpMethod.GET, BATCHES, endpoint.apply("batches", authenticated.apply(batchesApi.list())))
                .routePrefix(HttpMethod.GET, BATCHES + "/", endpoint.apply("batches",
                        authenticated.apply(batchesApi.retrieve(BATCHES + "/"))))
                .routePrefix(HttpMethod.POST, BATCHES + "/", endpoint.apply("batches",
                        authenticated.apply(batchesApi.cancel(BATCHES + "/"))));
    }

    /** Starts running batch lines through {@code requests}, once the file store is open. */
    void startRunner(InProcessRequests requests, int maxLineBytes) {
        files.whenComplete((fileStore, error) -> {
            if (error != null) {
                batches.completeExceptionally(error);
                return;
            }
            try {
                batches.complete(Batches.start(fileStore.database(), fileStore, LineDispatcher.inProcess(requests),
                        model -> lanes.get().find(model).isPresent(), () -> config.get().batches(), maxLineBytes,
                        meters));
            } catch (RuntimeException e) {
                LOG.error("batches could not start: /v1/batches is unavailable until a restart", e);
                batches.completeExceptionally(e);
            }
        });
    }

    /** Stops running batch lines (those in flight are put back): first, before the server drains. */
    void stopRunner() {
        if (batches.isDone() && !batches.isCompletedExceptionally()) {
            batches.join().close();
        } else {
            batches.completeExceptionally(new DurableState.Unavailable("the gateway is shutting down"));
        }
    }

    @Override
    public void close() {
        stopRunner();
        sweeper.close();
        blocking.shutdownNow(); // the database itself is closed by Gateway, after the response store
    }
}
