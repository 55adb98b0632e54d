package io.fairlane.gateway.responses;

import io.fairlane.gateway.config.ResponsesConfig;
import java.util.function.LongSupplier;

/** {@link ResponseStoreContract} on the store kept in memory. */
class MemoryResponseStoreTest extends ResponseStoreContract {

    @Override
    protected ResponseStore create(ResponsesConfig config, LongSupplier clock) {
        return new MemoryResponseStore(config, clock);
    }
}
