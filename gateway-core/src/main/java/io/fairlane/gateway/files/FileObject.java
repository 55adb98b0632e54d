package io.fairlane.gateway.files;

import com.fasterxml.jackson.databind.node.ObjectNode;
import io.fairlane.gateway.http.Json;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * A stored file as the API describes it ({@code OpenAIFile}), plus where its bytes are.
 *
 * @param id            {@code file-} and 24 random characters
 * @param tenant        who owns it; every lookup is by tenant and id, so another tenant's id is simply not found
 * @param filename      the name it was uploaded with (or that a batch gave it)
 * @param purpose       {@code batch}, {@code batch_output}, {@code user_data}, ...
 * @param bytes         its size
 * @param createdAtMillis when it was stored, epoch milliseconds (the API shows seconds)
 * @param expiresAtMillis when it is deleted on its own, epoch milliseconds; empty for never
 * @param blobId        the blob that holds its content
 */
public record FileObject(String id, String tenant, String filename, String purpose, long bytes, long createdAtMillis,
                         OptionalLong expiresAtMillis, String blobId) {

    public FileObject {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(filename, "filename");
        Objects.requireNonNull(purpose, "purpose");
        Objects.requireNonNull(expiresAtMillis, "expiresAtMillis");
        Objects.requireNonNull(blobId, "blobId");
    }

    /** OpenAI's file object. {@code status} is always {@code processed}: a file exists only once stored whole. */
    public ObjectNode toJson() {
        ObjectNode o = Json.MAPPER.createObjectNode();
        o.put("id", id);
        o.put("object", "file");
        o.put("bytes", bytes);
        o.put("created_at", createdAtMillis / 1000);
        expiresAtMillis.ifPresent(e -> o.put("expires_at", e / 1000));
        o.put("filename", filename);
        o.put("purpose", purpose);
        o.put("status", "processed");
        return o;
    }

    @Override
    public String toString() {
        return "FileObject[" + id + ", " + purpose + ", " + bytes + " bytes]";
    }
}
