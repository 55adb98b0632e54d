/**
 * The conformance checks and the harness that runs them. Each {@link io.fairlane.conformance.check.Check}
 * tests one promise of the OpenAI wire contract and ends as pass, fail or not applicable (with the reason),
 * with the exchanges that show why. Checks share the requests they need through the
 * {@link io.fairlane.conformance.check.CheckContext}, so a full run against a server costs a few dozen
 * requests.
 */
package io.fairlane.conformance.check;
