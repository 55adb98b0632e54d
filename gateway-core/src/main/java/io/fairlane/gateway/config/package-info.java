/**
 * The configuration file: immutable records ({@link io.fairlane.gateway.config.FairlaneConfig} and its
 * parts), the loader that validates a whole file and reports every error with its path
 * ({@link io.fairlane.gateway.config.ConfigLoader}), and the watcher that reloads it on change
 * ({@link io.fairlane.gateway.config.ConfigWatcher}).
 */
package io.fairlane.gateway.config;
