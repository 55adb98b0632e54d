package io.fairlane.gateway.files;

import io.fairlane.gateway.config.FilesConfig;
import io.fairlane.gateway.http.ApiError;
import io.fairlane.gateway.http.ApiException;
import io.fairlane.gateway.store.Blob;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.OptionalLong;
import java.util.Set;

/**
 * One {@code POST /v1/files}: reads the multipart body as it arrives, streams the {@code file} part into a new blob
 * while counting it against the per-file limit and the tenant's remaining quota (stopping at the byte that crosses
 * either), then records the file. Fields may come in any order: a {@code purpose} after the file is checked once
 * it arrives, and the stored blob is deleted again when anything is wrong.
 *
 * <p>Runs on a virtual thread. Answers with {@link ApiException}s for what the client got wrong; I/O failures of the
 * body itself (a malformed multipart body, a client that left or sent too slowly) come out as {@link IOException}s.
 */
final class Upload {

    /** Purposes a client may upload with ({@code batch_output} is written by batches, never uploaded). */
    static final Set<String> PURPOSES = Set.of("assistants", "batch", "fine-tune", "vision", "user_data", "evals");
    /** Files uploaded for batches expire after 30 days unless told otherwise, as OpenAI's do. */
    static final Duration BATCH_INPUT_LIFETIME = Duration.ofDays(30);
    private static final int MAX_FIELD_BYTES = 1024;
    private static final int COPY_BUFFER = 64 * 1024;

    private final FileStore store;
    private final FilesConfig limits;
    private final String tenant;

    Upload(FileStore store, FilesConfig limits, String tenant) {
        this.store = store;
        this.limits = limits;
        this.tenant = tenant;
    }

    FileObject run(InputStream body, String boundary) throws IOException {
        MultipartReader reader = new MultipartReader(body, boundary);
        long room = limits.maxBytesPerTenant() - store.usage(tenant);
        Blob blob = null;
        String filename = null;
        String purpose = null;
        String anchor = null;
        String seconds = null;
        try {
            for (MultipartReader.Part part = reader.next(); part != null; part = reader.next()) {
                switch (part.name()) {
                    case "file" -> {
                        if (blob != null) {
                            throw ApiException.invalidRequest("Only one file may be uploaded per request.", "file",
                                    "invalid_value");
                        }
                        filename = filename(part.filename());
                        InputStream in = part.body();
                        long roomNow = room;
                        blob = store.blobs().write(out -> copy(in, out, roomNow));
                    }
                    case "purpose" -> purpose = field(part);
                    case "expires_after[anchor]" -> anchor = field(part);
                    case "expires_after[seconds]" -> seconds = field(part);
                    default -> throw ApiException.invalidRequest("Unrecognized request argument supplied: "
                            + part.name(), part.name(), "unknown_parameter");
                }
            }
            if (blob == null) {
                throw missing("file");
            }
            if (purpose == null) {
                throw missing("purpose");
            }
            if (!PURPOSES.contains(purpose)) {
                throw ApiException.invalidRequest("Invalid value for 'purpose': '" + purpose + "'. Supported values "
                        + "are: 'assistants', 'batch', 'fine-tune', 'vision', 'user_data' and 'evals'.", "purpose",
                        "invalid_value");
            }
            OptionalLong expiresAt = expiry(purpose, anchor, seconds);
            try {
                return store.record(tenant, blob, filename, purpose, expiresAt, limits.maxBytesPerTenant());
            } catch (FileStore.QuotaExceeded e) {
                throw quotaExceeded(blob.size(), e.used());
            }
        } catch (IOException | RuntimeException | Error e) {
            if (blob != null) {
                deleteQuietly(blob, e);
            }
            throw e;
        }
    }

    /** Copies the file part, stopping with the right error at the byte that crosses a limit. */
    private void copy(InputStream in, OutputStream out, long room) throws IOException {
        byte[] buffer = new byte[COPY_BUFFER];
        long total = 0;
        for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
            total += n;
            if (total > limits.maxFileBytes()) {
                throw new ApiException(new ApiError(413, "The file is larger than the " + size(limits.maxFileBytes())
                        + " this server accepts per file.", "invalid_request_error", "file", "file_too_large"));
            }
            if (total > room) {
                throw quotaExceeded(total, limits.maxBytesPerTenant() - room);
            }
            out.write(buffer, 0, n);
        }
    }

    private ApiException quotaExceeded(long size, long used) {
        return new ApiException(new ApiError(400, "Storing this file (" + size(size) + ") would exceed your storage "
                + "quota of " + size(limits.maxBytesPerTenant()) + " (" + size(used) + " in use). Delete files you "
                + "no longer need and try again.", "invalid_request_error", "file", "storage_quota_exceeded"));
    }

    private OptionalLong expiry(String purpose, String anchor, String seconds) {
        long now = System.currentTimeMillis();
        if (anchor == null && seconds == null) {
            return purpose.equals("batch") ? OptionalLong.of(now + BATCH_INPUT_LIFETIME.toMillis())
                    : OptionalLong.empty();
        }
        if (!"created_at".equals(anchor)) {
            throw ApiException.invalidRequest("Invalid value for 'expires_after.anchor': only 'created_at' is "
                    + "supported.", "expires_after.anchor", "invalid_value");
        }
        long s;
        try {
            s = Long.parseLong(seconds == null ? "" : seconds.strip());
        } catch (NumberFormatException e) {
            throw ApiException.invalidRequest("Invalid value for 'expires_after.seconds': expected a whole number "
                    + "of seconds.", "expires_after.seconds", "invalid_type");
        }
        if (s < 3600 || s > 2_592_000) {
            throw ApiException.invalidRequest("Invalid value for 'expires_after.seconds': must be between 3600 "
                    + "(1 hour) and 2592000 (30 days), was " + s + ".", "expires_after.seconds", "invalid_value");
        }
        return OptionalLong.of(now + s * 1000);
    }

    private static String field(MultipartReader.Part part) throws IOException {
        byte[] value = part.body().readNBytes(MAX_FIELD_BYTES + 1);
        if (value.length > MAX_FIELD_BYTES) {
            throw ApiException.invalidRequest("The form field '" + part.name() + "' is longer than "
                    + MAX_FIELD_BYTES + " bytes.", part.name(), "invalid_value");
        }
        part.skip();
        return new String(value, StandardCharsets.UTF_8).strip();
    }

    /** The last path element of what the client called the file, without control characters, at most 255. */
    static String filename(String given) {
        if (given == null) {
            return "file";
        }
        String name = given.substring(Math.max(given.lastIndexOf('/'), given.lastIndexOf('\\')) + 1);
        StringBuilder clean = new StringBuilder(Math.min(name.length(), 255));
        name.codePoints().filter(cp -> cp >= 0x20 && cp != 0x7f).limit(255).forEach(clean::appendCodePoint);
        String s = clean.toString().strip();
        return s.isEmpty() ? "file" : s;
    }

    private static ApiException missing(String field) {
        return ApiException.invalidRequest("Missing required parameter: '" + field + "'.", field,
                "missing_required_parameter");
    }

    private void deleteQuietly(Blob blob, Throwable reason) {
        try {
            store.blobs().delete(blob.id());
        } catch (IOException | RuntimeException e) {
            reason.addSuppressed(e);
        }
    }

    static String size(long bytes) {
        if (bytes >= 1L << 30 && bytes % (1L << 30) == 0) {
            return (bytes >> 30) + " GiB";
        }
        if (bytes >= 1L << 20) {
            return String.format(java.util.Locale.ROOT, "%.1f MiB", bytes / (double) (1L << 20));
        }
        if (bytes >= 1L << 10) {
            return String.format(java.util.Locale.ROOT, "%.1f KiB", bytes / 1024.0);
        }
        return bytes + " bytes";
    }
}
