/**
 * Command-line tools behind {@code ./fairlane model ...}: {@link io.fairlane.engine.tools.ModelCli} writes synthetic
 * models, describes model directories, and runs the CPU decode benchmark and memory-bandwidth probe used by
 * {@code bench/cpu/}.
 */
package io.fairlane.engine.tools;
