/**
 * {@code /v1/files}: files kept in durable state, per tenant. Uploads are multipart bodies read as they arrive on a
 * streaming route ({@link io.fairlane.gateway.files.MultipartReader}, {@link io.fairlane.gateway.files.Upload}) and
 * written straight to the blob store, counted against the per-file limit and the tenant's quota on the way;
 * {@link io.fairlane.gateway.files.FileStore} keeps a row per file and the per-tenant totals;
 * {@link io.fairlane.gateway.files.ContentSender} streams content back with backpressure. Batches read their input
 * here and write their results here.
 */
package io.fairlane.gateway.files;
