/**
 * Fairlane's gateway: the command line ({@link io.fairlane.gateway.Main}) and the composition root
 * ({@link io.fairlane.gateway.Gateway}) that wires configuration, tenants, lanes, the HTTP server and
 * metrics together. Sub-packages: {@code config}, {@code http}, {@code api}, {@code tenant}, {@code openai},
 * {@code lane}, {@code upstream}, {@code local}, {@code metrics}, {@code slo}.
 */
package io.fairlane.gateway;
