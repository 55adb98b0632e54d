/**
 * Chat templates: {@link io.fairlane.engine.template.ChatTemplate} renders a model's
 * {@code tokenizer_config.json} template exactly as Hugging Face transformers does, on
 * {@link io.fairlane.engine.template.JinjaTemplate}, a focused Jinja interpreter (lexer, parser, tree-walking
 * evaluator with Python value semantics) written for that purpose. Turning a rendered chat into token ids, and
 * the refusals a client sees when a template rejects its messages, belong to the engine's one prompt path,
 * {@code io.fairlane.engine.runtime.PromptEncoder}.
 *
 * <p>Why not an existing Java Jinja engine: chat templates depend on details of Python's jinja2 that a
 * Java-flavoured engine gets subtly wrong (whitespace control with {@code trim_blocks}/{@code lstrip_blocks},
 * loop scoping, {@code namespace()}, Python's {@code str} methods and printing of {@code None}, lists and
 * floats, {@code json.dumps} spacing), and a one-character difference in a prompt silently degrades answers.
 * Golden tests compare every rendering with jinja2 itself.
 */
package io.fairlane.engine.template;
