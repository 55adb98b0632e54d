package io.fairlane.gateway.batches;

import io.fairlane.gateway.files.FileObject;
import io.fairlane.gateway.files.FileStore;
import io.fairlane.gateway.files.Ids;
import io.fairlane.gateway.store.Blob;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * Ends a batch: writes its output file (lines answered with success, in input order) and its error file (lines
 * answered with an error, and, for a cancelled or expired batch, the lines that never ran, each with an error code),
 * then, in one transaction, records the files and moves the batch to its final status.
 *
 * <p>Idempotent and safe to repeat after a crash: the result files are built from the lines still in the store, and
 * the final transaction only succeeds while the batch is still finalizing or cancelling, deleting its lines as it
 * commits. Files written by a run that lost (a crash before the commit, or another process finishing first) are
 * deleted again; only a crash between writing and deleting leaves an unreferenced blob behind.
 */
final class BatchFinalizer {

    private static final int PAGE = 1000;

    private final BatchStore batches;
    private final FileStore files;

    BatchFinalizer(BatchStore batches, FileStore files) {
        this.batches = batches;
        this.files = files;
    }

    /** Writes the batch's results and ends it in {@code ending}; false when another process ended it first. */
    boolean finish(Batch batch, Batch.Status ending) throws IOException {
        String unansweredCode = ending == Batch.Status.EXPIRED ? "batch_expired" : "batch_cancelled";
        String unansweredMessage = ending == Batch.Status.EXPIRED
                ? "This request could not be executed before the completion window expired."
                : "This request was not executed because the batch was cancelled.";
        Optional<Blob> output = write(batch.id(), true, null, null);
        Optional<Blob> errors;
        try {
            errors = write(batch.id(), false, unansweredCode, unansweredMessage);
        } catch (IOException | RuntimeException e) {
            deleteQuietly(output, e);
            throw e;
        }
        long now = System.currentTimeMillis();
        OptionalLong expires = batch.outputExpiresAfterSeconds().isPresent()
                ? OptionalLong.of(now + batch.outputExpiresAfterSeconds().getAsLong() * 1000) : OptionalLong.empty();
        Optional<FileObject> outputFile = output.map(b -> file(batch, b, "output", now, expires));
        Optional<FileObject> errorFile = errors.map(b -> file(batch, b, "error", now, expires));
        boolean finished;
        try {
            finished = batches.database().transaction(c -> {
                if (!batches.finish(c, batch.id(), ending, outputFile.map(FileObject::id),
                        errorFile.map(FileObject::id), now)) {
                    return false;
                }
                if (outputFile.isPresent()) {
                    files.recordIn(c, outputFile.get());
                }
                if (errorFile.isPresent()) {
                    files.recordIn(c, errorFile.get());
                }
                return true;
            });
        } catch (RuntimeException e) {
            deleteQuietly(output, e);
            deleteQuietly(errors, e);
            throw e;
        }
        if (!finished) {
            deleteQuietly(output, null);
            deleteQuietly(errors, null);
        }
        return finished;
    }

    private static FileObject file(Batch batch, Blob blob, String kind, long now, OptionalLong expires) {
        return new FileObject(Ids.random("file-"), batch.tenant(), batch.id() + "_" + kind + ".jsonl", "batch_output",
                blob.size(), now, expires, blob.id());
    }

    /**
     * The lines for one file: answered ones with {@code ok}, and (for the error file) unanswered ones as errors.
     * Empty when there are none: a batch whose every line failed has no output file.
     */
    private Optional<Blob> write(String batchId, boolean ok, String unansweredCode, String unansweredMessage)
            throws IOException {
        long[] written = {0};
        Blob blob = files.blobs().write((OutputStream out) -> {
            int after = 0;
            while (true) {
                List<BatchLines.Result> page = batches.lines().results(batchId, after, PAGE);
                for (BatchLines.Result r : page) {
                    String line = null;
                    if (r.outputLine() != null && r.ok() == ok) {
                        line = r.outputLine();
                    } else if (r.outputLine() == null && !ok) {
                        line = OutputLines.unanswered(r.customId(), unansweredCode, unansweredMessage);
                    }
                    if (line != null) {
                        out.write(line.getBytes(StandardCharsets.UTF_8));
                        out.write('\n');
                        written[0]++;
                    }
                    after = r.lineNo();
                }
                if (page.size() < PAGE) {
                    return;
                }
            }
        });
        if (written[0] == 0) {
            files.blobs().delete(blob.id());
            return Optional.empty();
        }
        return Optional.of(blob);
    }

    private void deleteQuietly(Optional<Blob> blob, Throwable reason) {
        if (blob.isEmpty()) {
            return;
        }
        try {
            files.blobs().delete(blob.get().id());
        } catch (IOException | RuntimeException e) {
            if (reason != null) {
                reason.addSuppressed(e);
            }
        }
    }
}
