/**
 * Command-line tools behind {@code ./fairlane model ...}: {@link io.fairlane.engine.tools.ModelCli} writes synthetic
 * models, lists their shapes and describes model directories. (The CPU benchmarks that read those models live in
 * the benchmark module, {@code bench/}.)
 */
package io.fairlane.engine.tools;
