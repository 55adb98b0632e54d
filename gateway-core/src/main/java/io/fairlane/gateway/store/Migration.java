package io.fairlane.gateway.store;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Objects;

/**
 * One step of a feature's schema, applied once per database by {@link Database#migrate}. Its version is its
 * position in the feature's list (the first is version 1), so steps are only ever appended, never edited or
 * reordered: the database remembers a checksum of each applied step and refuses to start when one changed.
 *
 * <p>The SQL may hold several statements separated by semicolons. Most steps are written once for both
 * databases ({@link #sql}); where they differ, {@link #perDialect} takes one text for each.
 *
 * @param sqlite   the step's SQL for SQLite
 * @param postgres the step's SQL for PostgreSQL
 */
public record Migration(String sqlite, String postgres) {

    public Migration {
        Objects.requireNonNull(sqlite, "sqlite");
        Objects.requireNonNull(postgres, "postgres");
        if (sqlite.isBlank() || postgres.isBlank()) {
            throw new IllegalArgumentException("a migration needs SQL for both dialects");
        }
    }

    /** A step whose SQL both databases accept as it is. */
    public static Migration sql(String sql) {
        return new Migration(sql, sql);
    }

    /** A step written twice, once per database. */
    public static Migration perDialect(String sqlite, String postgres) {
        return new Migration(sqlite, postgres);
    }

    /** The SQL to run on {@code dialect}. */
    public String sqlFor(Dialect dialect) {
        return switch (dialect) {
            case SQLITE -> sqlite;
            case POSTGRESQL -> postgres;
        };
    }

    /** SHA-256 of the SQL for {@code dialect}, hex: how the database tells that an applied step was edited. */
    String checksum(Dialect dialect) {
        try {
            byte[] hash = MessageDigest.getInstance("SHA-256").digest(sqlFor(dialect).strip()
                    .getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(hash);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every JDK has SHA-256", e);
        }
    }
}
