package io.fairlane.gateway.batches;

import static org.assertj.core.api.Assertions.assertThat;

import io.fairlane.gateway.store.PostgresServer;
import io.fairlane.gateway.store.StoreBackend;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * {@link BatchRunnerContract} on a real PostgreSQL server, and what only a shared store has: several replicas
 * running the same batch at once.
 */
@ExtendWith(PostgresServer.class)
class PostgresBatchRunnerTest extends BatchRunnerContract {

    @Override
    StoreBackend backend() {
        return new StoreBackend.Postgres(PostgresServer.current());
    }

    @Test
    void replicas_sharingTheStore_splitTheLinesAndAnswerEachOnce() throws Exception {
        ScriptedLines a = new ScriptedLines(40);
        ScriptedLines b = new ScriptedLines(40);
        try {
            Replica one = replica(a);
            Replica two = replica(b);
            List<String> input = new ArrayList<>();
            for (int i = 0; i < 400; i++) {
                input.add(line("c" + i, "ok"));
            }
            Batch done = await(two, submit(one, input, 60_000), Batch.Status.COMPLETED);
            assertThat(done.counts().completed()).isEqualTo(400);
            assertThat(countByCustomId(content(one, done.outputFileId()))).hasSize(400)
                    .allSatisfy((id, n) -> assertThat(n).isEqualTo(1));
            assertThat(a.dispatched.get() + b.dispatched.get()).as("no line ran twice").isEqualTo(400);
            assertThat(a.dispatched.get()).as("replica one ran some").isPositive();
            assertThat(b.dispatched.get()).as("replica two ran some").isPositive();
        } finally {
            a.close();
            b.close();
        }
    }
}
