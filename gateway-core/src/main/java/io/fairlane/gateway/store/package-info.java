/**
 * Durable state: what must survive a restart (stored responses, uploaded files, batches and their progress) and,
 * with several gateway replicas, be shared among them. One foundation for every feature that keeps such state,
 * so that each gets crash safety, migrations and PostgreSQL support without writing them again.
 *
 * <ul>
 *   <li>{@link io.fairlane.gateway.store.StoreSettings}: where the state lives — a directory (embedded SQLite,
 *       the default; no setup) or a PostgreSQL server (shared by replicas). Read from the configuration's
 *       {@code storage} section with {@code fromMap}.</li>
 *   <li>{@link io.fairlane.gateway.store.Database}: opens it; {@code migrate} registers a feature's own tables,
 *       {@code transaction} and {@code read} run plain JDBC work with retries on busy or conflicting databases.
 *       {@link io.fairlane.gateway.store.Dialect} covers the few SQL differences;
 *       {@link io.fairlane.gateway.store.Migration} is one schema step.</li>
 *   <li>{@link io.fairlane.gateway.store.BlobStore}: large contents, streamed; a blob is visible only once
 *       complete and checked against its SHA-256 when read. Files in a directory beside the embedded database,
 *       or chunked rows in PostgreSQL.</li>
 * </ul>
 *
 * <p>A feature, at start and then per request (on a virtual thread, never a Netty event loop):
 * <pre>{@code
 * Database db = Database.open(StoreSettings.fromMap(yaml.storage(), System.getenv()));
 * db.migrate("responses", List.of(Migration.sql("""
 *     CREATE TABLE responses_items (tenant VARCHAR(64) NOT NULL, id VARCHAR(64) NOT NULL,
 *       body_blob VARCHAR(32) NOT NULL, created_at BIGINT NOT NULL, PRIMARY KEY (tenant, id))""")));
 * Blob body = db.blobs().write(in);                       // durable before the row refers to it
 * db.transaction(c -> {
 *     try (var insert = c.prepareStatement("INSERT INTO responses_items VALUES (?, ?, ?, ?)")) {
 *         insert.setString(1, tenant); insert.setString(2, id); insert.setString(3, body.id());
 *         insert.setLong(4, System.currentTimeMillis());
 *         return insert.executeUpdate();
 *     }
 * });
 * }</pre>
 *
 * <p>Why SQLite and PostgreSQL, and what was weighed: docs/adr/0006-durable-state.md. Operating it (where the
 * files are, backups): docs/operations.md, "Durable state".
 */
package io.fairlane.gateway.store;
