/**
 * Hugging Face {@code tokenizer.json} tokenizers in plain Java: {@link io.fairlane.engine.tokenizer.Tokenizer}
 * (encode, decode, per-token bytes), {@link io.fairlane.engine.tokenizer.IncrementalDetokenizer} for
 * streaming, {@link io.fairlane.engine.tokenizer.TokenizerConfig} for the special tokens and chat templates of
 * {@code tokenizer_config.json}, and {@link io.fairlane.engine.tokenizer.BuiltinTokenizer}, the tokenizer of
 * the embedded default model, made by code.
 *
 * <p>Golden tests compare every encode and decode with the Hugging Face library itself (through its DJL
 * binding) on the tokenizers of real models; see {@code docs/tokenizer.md}.
 */
package io.fairlane.engine.tokenizer;
