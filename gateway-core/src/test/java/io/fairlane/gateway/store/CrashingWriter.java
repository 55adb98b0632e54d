package io.fairlane.gateway.store;

import java.nio.file.Path;
import java.sql.PreparedStatement;
import java.util.List;
import java.util.Optional;

/**
 * The process {@link CrashContract} kills: opens a store, then forever writes a blob and commits a row that refers
 * to it plus three detail rows, printing {@code committed N} after each commit returns. Everything it prints as
 * committed must be there, whole, after it is killed; anything else must be either absent or whole.
 *
 * <p>Arguments: {@code embedded DIRECTORY} or {@code postgres URL USER} (the password in
 * {@value PostgresServer#PASSWORD_ENV}).
 */
final class CrashingWriter {

    static final List<Migration> SCHEMA = List.of(Migration.sql("""
            CREATE TABLE crash_items (n INTEGER PRIMARY KEY, blob_id VARCHAR(32) NOT NULL,
              sha256 VARCHAR(64) NOT NULL, size BIGINT NOT NULL);
            CREATE TABLE crash_parts (n INTEGER NOT NULL, part INTEGER NOT NULL, amount BIGINT NOT NULL,
              PRIMARY KEY (n, part))"""));

    private CrashingWriter() {
    }

    /** Blob sizes from empty to past one database chunk, so kills land inside blobs of every shape. */
    static long sizeOf(int n) {
        return (n * 7919L) % 6 * 350_000L + n;
    }

    public static void main(String[] args) throws Exception {
        StoreSettings settings = args[0].equals("embedded")
                ? new StoreSettings.Embedded(Path.of(args[1]))
                : new StoreSettings.Postgres(args[1], args[2], Optional.of(PostgresServer.PASSWORD_ENV), 2);
        Database db = Database.open(settings);
        db.migrate("crash", SCHEMA);
        BlobStore blobs = db.blobs();
        for (int i = 1; ; i++) {
            int n = i;
            Blob blob = blobs.write(out -> BlobStoreContract.writePattern(out, n, sizeOf(n)));
            db.transaction(c -> {
                try (PreparedStatement item = c.prepareStatement("INSERT INTO crash_items VALUES (?, ?, ?, ?)");
                     PreparedStatement part = c.prepareStatement("INSERT INTO crash_parts VALUES (?, ?, ?)")) {
                    item.setInt(1, n);
                    item.setString(2, blob.id());
                    item.setString(3, blob.sha256());
                    item.setLong(4, blob.size());
                    item.executeUpdate();
                    for (int p = 0; p < 3; p++) {
                        part.setInt(1, n);
                        part.setInt(2, p);
                        part.setLong(3, n * 10L + p);
                        part.executeUpdate();
                    }
                }
                return null;
            });
            System.out.println("committed " + n);
            System.out.flush();
        }
    }
}
