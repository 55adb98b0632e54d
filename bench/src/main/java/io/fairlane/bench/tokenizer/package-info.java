/**
 * Tokenizer encode throughput and load time on the real tokenizers ({@link
 * io.fairlane.bench.tokenizer.TokenizerThroughput}, {@code bench/tokenizer-throughput.sh}).
 */
package io.fairlane.bench.tokenizer;
