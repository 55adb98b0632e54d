package io.fairlane.gateway.responses;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.config.ResponsesConfig;
import io.fairlane.gateway.store.Database;
import io.fairlane.gateway.store.StoreSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.LongSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link ResponseStoreContract} on embedded SQLite, and what only a durable store does: surviving a reopen. */
class EmbeddedResponseStoreTest extends ResponseStoreContract {

    @TempDir
    Path scratch;
    private final List<Database> databases = new ArrayList<>();
    private int stores;

    @Override
    protected ResponseStore create(ResponsesConfig config, LongSupplier clock) {
        Database db = Database.open(new StoreSettings.Embedded(scratch.resolve("store-" + ++stores)), Map.of());
        databases.add(db);
        return new DatabaseResponseStore(db, config, clock);
    }

    @AfterEach
    void closeDatabases() {
        databases.forEach(Database::close);
    }

    @Test
    void reopen_afterClose_findsWhatWasStoredAndNotWhatWasDeleted() throws Exception {
        Path dir = scratch.resolve("reopened");
        Database first = Database.open(new StoreSettings.Embedded(dir), Map.of());
        ResponseStore s = new DatabaseResponseStore(first, CONFIG, now::get);
        s.put(response("a", "resp_kept"));
        s.put(response("a", "resp_gone"));
        s.delete("a", "resp_gone").get();
        s.close();
        first.close();

        Database second = Database.open(new StoreSettings.Embedded(dir), Map.of());
        databases.add(second);
        ResponseStore again = new DatabaseResponseStore(second, CONFIG, now::get);

        assertThat(get(again, "a", "resp_kept")).isPresent();
        assertThat(get(again, "a", "resp_gone")).isEmpty();
        again.close();
    }
}
