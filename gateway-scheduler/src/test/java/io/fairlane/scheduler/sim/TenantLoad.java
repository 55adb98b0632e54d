package io.fairlane.scheduler.sim;

import io.fairlane.scheduler.TenantSpec;
import java.util.Objects;

/**
 * One tenant's traffic in a scenario.
 *
 * @param spec           the tenant as the scheduler sees it
 * @param rate           its request rate over time
 * @param inputMin       shortest input (after any shared prefix)
 * @param inputMax       longest input (after any shared prefix)
 * @param outputMin      shortest output
 * @param outputMax      longest output; also the max_tokens every request declares
 * @param prefixGroups   distinct shared prefixes the tenant's requests start with (0: none)
 * @param prefixLen      tokens of each shared prefix
 * @param inFlight       a closed loop of this many clients, each sending its next request as soon as the last one
 *                       ends, instead of arrivals at {@code rate} (0: open loop)
 */
record TenantLoad(TenantSpec spec, RateFunction rate, int inputMin, int inputMax, int outputMin, int outputMax,
                  int prefixGroups, int prefixLen, int inFlight) {

    TenantLoad {
        Objects.requireNonNull(spec, "spec");
        Objects.requireNonNull(rate, "rate");
        if (inputMin <= 0 || inputMax < inputMin || outputMin <= 0 || outputMax < outputMin || prefixGroups < 0
                || prefixLen < 0 || inFlight < 0) {
            throw new IllegalArgumentException("bad load for tenant " + spec.id());
        }
    }

    static TenantLoad of(String id, RateFunction rate, int input, int output) {
        return new TenantLoad(TenantSpec.of(id, 1), rate, input, input, output, output, 0, 0, 0);
    }

    /** {@code inFlight} clients in a closed loop, each request {@code input} + {@code output} tokens. */
    static TenantLoad closedLoop(String id, int inFlight, int input, int output) {
        return new TenantLoad(TenantSpec.of(id, 1).withQueueBounds(Math.max(inFlight, 1), Long.MAX_VALUE),
                RateFunction.constant(0), input, input, output, output, 0, 0, inFlight);
    }

    TenantLoad sizes(int inMin, int inMax, int outMin, int outMax) {
        return new TenantLoad(spec, rate, inMin, inMax, outMin, outMax, prefixGroups, prefixLen, inFlight);
    }

    TenantLoad sharedPrefixes(int groups, int len) {
        return new TenantLoad(spec, rate, inputMin, inputMax, outputMin, outputMax, groups, len, inFlight);
    }

    TenantLoad withSpec(TenantSpec newSpec) {
        return new TenantLoad(newSpec, rate, inputMin, inputMax, outputMin, outputMax, prefixGroups, prefixLen,
                inFlight);
    }

    /** The same load with {@code n} clients in its closed loop. */
    TenantLoad withInFlight(int n) {
        return new TenantLoad(spec.withQueueBounds(Math.max(n, 1), Long.MAX_VALUE), rate, inputMin, inputMax,
                outputMin, outputMax, prefixGroups, prefixLen, n);
    }

    String id() {
        return spec.id();
    }

    String describe() {
        String in = inputMin == inputMax ? Integer.toString(inputMin) : inputMin + "–" + inputMax;
        String out = outputMin == outputMax ? Integer.toString(outputMin) : outputMin + "–" + outputMax;
        String prefix = prefixGroups > 0 ? ", " + prefixGroups + " shared prefixes of " + prefixLen + " tokens" : "";
        String weight = spec.weight() != 1 ? ", weight " + spec.weight() : "";
        String traffic = inFlight > 0 ? "closed loop of " + inFlight + " in flight" : rate.describe();
        return id() + ": " + traffic + ", input " + in + ", output " + out + prefix + weight;
    }
}
