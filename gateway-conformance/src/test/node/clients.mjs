// Runs the scenarios every real client must pass against an OpenAI-compatible base URL: chat, streamed
// chat, tools not streamed and streamed, and embeddings, with the openai SDK and the Vercel AI SDK
// (@ai-sdk/openai-compatible, @ai-sdk/openai through openai.chat(), and @ai-sdk/openai's default provider,
// which speaks the Responses API); with the openai SDK only (the AI SDK has no batches), a batch: files.create,
// batches.create, polling, files.content; and the openai SDK's Responses API: responses.create,
// responses.stream, forced strict tool calls both ways, and a conversation continued with
// previous_response_id. Prints one JSON line per scenario and exits 1 when any failed.
//
//   FAIRLANE_BASE_URL=http://127.0.0.1:8080/v1 FAIRLANE_API_KEY=... FAIRLANE_MODEL=... \
//   FAIRLANE_EMBEDDING_MODEL=... [FAIRLANE_TOOL_CALLS_REFUSED=1] node clients.mjs
//
// FAIRLANE_TOOL_CALLS_REFUSED=1 is for a server that cannot force a tool call (a model without constrained
// decoding): the tool scenarios then pass as 'refused' only when the client surfaces a 400 naming tool_choice.
import OpenAI, { toFile } from 'openai';
import { createOpenAICompatible } from '@ai-sdk/openai-compatible';
import { createOpenAI } from '@ai-sdk/openai';
import { generateText, streamText, embedMany, tool, jsonSchema } from 'ai';

const baseURL = required('FAIRLANE_BASE_URL');
const apiKey = required('FAIRLANE_API_KEY');
const model = required('FAIRLANE_MODEL');
const embeddingModel = process.env.FAIRLANE_EMBEDDING_MODEL;
const toolCallsRefused = process.env.FAIRLANE_TOOL_CALLS_REFUSED === '1';
const toolScenarios = new Set(['tools', 'toolsStream', 'responsesTools', 'responsesToolsStream']);

function required(name) {
  const value = process.env[name];
  if (!value) {
    console.error(`clients.mjs: ${name} is required`);
    process.exit(2);
  }
  return value;
}

function check(condition, message) {
  if (!condition) throw new Error(message);
}

const prompt = 'Write one short sentence about the sea.';
// Tool scenarios are greedy, as the harness's tool requests are: a server whose model is random (Fairlane's
// local lane forces the call by constrained decoding) then answers them quickly and the same way every run.
const toolPrompt = 'What is the weather in Paris and in Oslo? Call get_weather once for each city.';
// additionalProperties: false as zod's schemas have it: the Responses API treats function tools as strict unless
// told otherwise (the AI SDK's Responses provider does not say), and strict schemas must close their objects.
const weatherParameters = {
  type: 'object',
  properties: { city: { type: 'string' } },
  required: ['city'],
  additionalProperties: false,
};

// ---- openai (the official Node SDK) ----
const sdk = new OpenAI({ baseURL, apiKey, maxRetries: 0 });
const openaiNode = {
  async chat() {
    const r = await sdk.chat.completions.create({ model, messages: [{ role: 'user', content: prompt }], max_tokens: 16 });
    check(typeof r.choices[0].message.content === 'string', 'no content');
    return `content ${JSON.stringify(r.choices[0].message.content)}`;
  },
  async stream() {
    const stream = await sdk.chat.completions.create({
      model, messages: [{ role: 'user', content: prompt }], max_tokens: 16, stream: true,
      stream_options: { include_usage: true },
    });
    let text = '';
    let usage;
    let finish;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      for (const choice of chunk.choices) {
        text += choice.delta?.content ?? '';
        if (choice.finish_reason) finish = choice.finish_reason;
      }
    }
    check(finish, 'no finish_reason');
    check(usage && Number.isInteger(usage.total_tokens), 'no usage chunk');
    return `streamed ${JSON.stringify(text)}, finish ${finish}, usage ${usage.total_tokens}`;
  },
  async tools() {
    const r = await sdk.chat.completions.create({
      model, messages: [{ role: 'user', content: toolPrompt }], tool_choice: 'required', temperature: 0,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherParameters } }],
    });
    const calls = r.choices[0].message.tool_calls ?? [];
    check(calls.length > 0, 'no tool calls');
    calls.forEach((c) => JSON.parse(c.function.arguments));
    check(r.choices[0].finish_reason === 'tool_calls', `finish_reason ${r.choices[0].finish_reason}`);
    return `${calls.length} calls`;
  },
  async toolsStream() {
    // The SDK's stream helper reassembles tool-call deltas and throws on malformed ones.
    const runner = sdk.chat.completions.stream({
      model, messages: [{ role: 'user', content: toolPrompt }], tool_choice: 'required', temperature: 0,
      tools: [{ type: 'function', function: { name: 'get_weather', parameters: weatherParameters } }],
    });
    const completion = await runner.finalChatCompletion();
    const calls = completion.choices[0].message.tool_calls ?? [];
    check(calls.length > 0, 'no tool calls');
    calls.forEach((c) => JSON.parse(c.function.arguments));
    return `${calls.length} calls: ${calls.map((c) => c.function.arguments).join(' ')}`;
  },
  async embeddings() {
    if (!embeddingModel) return null;
    // The Node SDK asks for base64 by default and decodes little-endian float32.
    const r = await sdk.embeddings.create({ model: embeddingModel, input: ['The quick brown fox', 'jumps'] });
    check(r.data.length === 2, `${r.data.length} embeddings`);
    check(Array.isArray(r.data[0].embedding) && r.data[0].embedding.every(Number.isFinite), 'not a float vector');
    return `${r.data.length} x ${r.data[0].embedding.length}`;
  },
  async batch() {
    const line = (id) => JSON.stringify({
      custom_id: id, method: 'POST', url: '/v1/chat/completions',
      body: { model, max_tokens: 8, messages: [{ role: 'user', content: 'Say hello.' }] },
    });
    const jsonl = `${line('node-1')}\n${line('node-2')}\n`;
    const file = await sdk.files.create({ file: await toFile(Buffer.from(jsonl), 'node.jsonl'), purpose: 'batch' });
    let batch = await sdk.batches.create({
      input_file_id: file.id, endpoint: '/v1/chat/completions', completion_window: '24h',
    });
    const deadline = Date.now() + 120_000;
    while (['validating', 'in_progress', 'finalizing'].includes(batch.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      batch = await sdk.batches.retrieve(batch.id);
    }
    check(batch.status === 'completed', `the batch ended ${batch.status}`);
    const content = await (await sdk.files.content(batch.output_file_id)).text();
    const ids = content.trim().split('\n').map((l) => JSON.parse(l).custom_id).sort();
    check(JSON.stringify(ids) === JSON.stringify(['node-1', 'node-2']), `output custom_ids ${ids}`);
    return `${batch.id}: ${batch.request_counts.completed} of ${batch.request_counts.total} completed`;
  },
};

// ---- openai: the Responses API ----
const strictWeather = {
  type: 'function', name: 'get_weather', strict: true,
  parameters: { type: 'object', properties: { city: { type: 'string', maxLength: 24 } }, required: ['city'],
    additionalProperties: false },
};
const responseInput = (input) => ({ model, input, max_output_tokens: 16, temperature: 0 });
const toolResponse = () => ({ ...responseInput('What is the weather in Paris? Call get_weather.'),
  max_output_tokens: 96, tools: [strictWeather], tool_choice: 'required' });
function responseCalls(response) {
  const calls = response.output.filter((item) => item.type === 'function_call');
  check(calls.length > 0, 'no function_call items');
  calls.forEach((c) => {
    check(c.call_id && c.name === 'get_weather', `call ${JSON.stringify(c)}`);
    JSON.parse(c.arguments);
  });
  return calls;
}
Object.assign(openaiNode, {
  async responses() {
    const r = await sdk.responses.create(responseInput(prompt));
    check(typeof r.output_text === 'string' && r.output_text.length > 0, 'no output_text');
    check(Number.isInteger(r.usage?.output_tokens_details?.reasoning_tokens), 'no reasoning_tokens');
    return `${r.status}: ${JSON.stringify(r.output_text)}`;
  },
  async responsesStream() {
    // The SDK's stream helper assembles the events and throws on ones out of order.
    const stream = sdk.responses.stream(responseInput(prompt));
    let deltas = '';
    stream.on('response.output_text.delta', (e) => { deltas += e.delta; });
    const r = await stream.finalResponse();
    const text = r.output.filter((i) => i.type === 'message').flatMap((i) => i.content)
      .map((c) => c.text ?? '').join('');
    check(text.length > 0 && text === deltas, `deltas ${JSON.stringify(deltas)} != ${JSON.stringify(text)}`);
    return `${r.status}: ${JSON.stringify(text)}`;
  },
  async responsesTools() {
    const calls = responseCalls(await sdk.responses.create(toolResponse()));
    return `${calls.length} calls: ${calls.map((c) => c.arguments).join(' ')}`;
  },
  async responsesToolsStream() {
    const calls = responseCalls(await sdk.responses.stream(toolResponse()).finalResponse());
    return `${calls.length} calls: ${calls.map((c) => c.arguments).join(' ')}`;
  },
  async responsesContinued() {
    const first = await sdk.responses.create(responseInput(prompt));
    const next = await sdk.responses.create({ ...responseInput('And one about the sky.'),
      previous_response_id: first.id });
    check(next.previous_response_id === first.id, 'previous_response_id not echoed');
    const stored = await sdk.responses.retrieve(next.id);
    check(stored.id === next.id, 'retrieve answered another response');
    const items = await sdk.responses.inputItems.list(next.id);
    check(items.data.length >= 3, `${items.data.length} input items`);
    await sdk.responses.delete(next.id);
    return `continued ${first.id} as ${next.id}, ${items.data.length} input items`;
  },
});

// ---- Vercel AI SDK: the same scenarios through a provider ----
function vercel(chatModel, textEmbeddingModel) {
  const weather = tool({ description: 'Current weather for a city.', inputSchema: jsonSchema(weatherParameters) });
  return {
    async chat() {
      const r = await generateText({ model: chatModel, prompt, maxOutputTokens: 16, maxRetries: 0 });
      check(typeof r.text === 'string', 'no text');
      return `text ${JSON.stringify(r.text)}, finish ${r.finishReason}`;
    },
    async stream() {
      let failure;
      const r = streamText({ model: chatModel, prompt, maxOutputTokens: 16, maxRetries: 0, onError: ({ error }) => { failure = error; } });
      let text = '';
      for await (const delta of r.textStream) text += delta;
      if (failure) throw failure;
      const finish = await r.finishReason;
      check(finish && finish !== 'error' && finish !== 'other', `finish ${finish}`);
      return `streamed ${JSON.stringify(text)}, finish ${finish}`;
    },
    async tools() {
      const r = await generateText({ model: chatModel, prompt: toolPrompt, tools: { get_weather: weather }, toolChoice: 'required', temperature: 0, maxRetries: 0 });
      check(r.toolCalls.length > 0, 'no tool calls');
      check(r.finishReason === 'tool-calls', `finish ${r.finishReason}`);
      return `${r.toolCalls.length} calls: ${r.toolCalls.map((c) => JSON.stringify(c.input)).join(' ')}`;
    },
    async toolsStream() {
      let failure;
      const r = streamText({ model: chatModel, prompt: toolPrompt, tools: { get_weather: weather }, toolChoice: 'required', temperature: 0, maxRetries: 0, onError: ({ error }) => { failure = error; } });
      for await (const part of r.fullStream) {
        if (part.type === 'error') failure = part.error;
      }
      if (failure) throw failure;
      const calls = await r.toolCalls;
      check(calls.length > 0, 'no tool calls');
      check((await r.finishReason) === 'tool-calls', `finish ${await r.finishReason}`);
      return `${calls.length} calls: ${calls.map((c) => JSON.stringify(c.input)).join(' ')}`;
    },
    async embeddings() {
      if (!textEmbeddingModel) return null;
      const r = await embedMany({ model: textEmbeddingModel, values: ['The quick brown fox', 'jumps'], maxRetries: 0 });
      check(r.embeddings.length === 2 && r.embeddings[0].length > 0, 'no embeddings');
      return `${r.embeddings.length} x ${r.embeddings[0].length}`;
    },
  };
}

const compatible = createOpenAICompatible({ name: 'fairlane', baseURL, apiKey, includeUsage: true });
const official = createOpenAI({ baseURL, apiKey });
const clients = {
  'openai-node': openaiNode,
  'ai-sdk-openai-compatible': vercel(compatible.chatModel(model),
    embeddingModel && compatible.textEmbeddingModel(embeddingModel)),
  'ai-sdk-openai-chat': vercel(official.chat(model), embeddingModel && official.embedding(embeddingModel)),
  // The provider's default model speaks the Responses API.
  'ai-sdk-openai-responses': vercel(official.responses(model), null),
};

// A refusal as each client surfaces it: the openai SDK's APIError (status, param) or the AI SDK's
// APICallError (statusCode, responseBody), possibly wrapped in a RetryError or the stream's error part.
function refusal(error) {
  for (let e = error; e; e = e.cause ?? e.lastError) {
    const status = e.status ?? e.statusCode;
    const param = e.param ?? e.error?.param ?? (() => {
      try { return JSON.parse(e.responseBody ?? '{}').error?.param; } catch { return undefined; }
    })();
    if (status === 400 && param === 'tool_choice') return `400 naming tool_choice: ${e.message}`;
    if (e.cause === e || e.lastError === e) break;
  }
  return null;
}

async function expectRefusal(run) {
  try {
    const detail = await run();
    throw new Error(`the server was expected to refuse tool_choice 'required' but answered: ${detail}`);
  } catch (error) {
    const why = refusal(error);
    if (why === null) throw error;
    return why;
  }
}

let failed = 0;
for (const [client, scenarios] of Object.entries(clients)) {
  for (const [scenario, run] of Object.entries(scenarios)) {
    try {
      if (toolCallsRefused && toolScenarios.has(scenario)) {
        console.log(JSON.stringify({ client, scenario, status: 'refused', detail: await expectRefusal(run) }));
        continue;
      }
      const detail = await run();
      if (detail === null) {
        console.log(JSON.stringify({ client, scenario, status: 'n/a', detail: 'no FAIRLANE_EMBEDDING_MODEL' }));
      } else {
        console.log(JSON.stringify({ client, scenario, status: 'pass', detail }));
      }
    } catch (error) {
      failed++;
      const cause = error?.cause ? ` (cause: ${error.cause.message ?? error.cause})` : '';
      console.log(JSON.stringify({ client, scenario, status: 'fail', detail: `${error?.name}: ${error?.message}${cause}` }));
    }
  }
}
const total = Object.values(clients).reduce((n, scenarios) => n + Object.keys(scenarios).length, 0);
console.log(`${total - failed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);
