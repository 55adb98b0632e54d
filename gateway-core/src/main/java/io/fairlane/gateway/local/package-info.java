/**
 * Output handling for the local engine: the tool-call parser
 * ({@link io.fairlane.gateway.local.ToolCallParser}) that turns a model's {@code <tool_call>} blocks into
 * OpenAI tool calls, and the wire shapes of chat and legacy completions built from token events.
 */
package io.fairlane.gateway.local;
