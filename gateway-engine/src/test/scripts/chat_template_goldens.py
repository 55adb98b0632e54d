#!/usr/bin/env python3
"""Renders chat-template golden cases with Python's jinja2, configured the way Hugging Face transformers
configures it for apply_chat_template, so that Fairlane's own Jinja interpreter can be compared with it.

The configuration mirrors transformers' chat-template compiler (as of transformers 4.4x):
  * an ImmutableSandboxedEnvironment with trim_blocks=True, lstrip_blocks=True and the loopcontrols extension;
  * a `tojson` filter that is json.dumps with ensure_ascii=False by default and the keyword arguments indent,
    separators and sort_keys (jinja's own tojson would HTML-escape);
  * globals raise_exception(message) (raises TemplateError) and strftime_now(format);
  * render variables: messages, tools (None when there are none), documents (None), add_generation_prompt,
    the tokenizer's special tokens (bos_token, eos_token, ... as strings) and any extra template arguments.
strftime_now uses a fixed instant (FIXED_NOW below) so that goldens do not change with the clock; the Java
tests give the interpreter the same instant.

Inputs: the case list in src/test/resources/template/chat-cases.json, the templates of the fetched npm
tokenizer packages (target/tokenizer-packages/<name>/package/models/tokenizer_config.json), the built-in
fairlane-tiny template, and the feature templates in src/test/resources/template/features/ (each NAME.jinja
with NAME.json holding a list of variable sets).
Output: one JSON file per template in --out: [{"case": ..., "output": ...} or {"case": ..., "error": ...}].
"""
import argparse
import datetime
import json
import os
import sys

import jinja2
import jinja2.ext
from jinja2.sandbox import ImmutableSandboxedEnvironment

FIXED_NOW = datetime.datetime(2024, 7, 26, 14, 5, 9)
PACKAGES = ["llama2", "llama3", "qwen3", "gemma3", "deepseek_v3"]
SPECIAL_KEYS = ["bos_token", "eos_token", "unk_token", "sep_token", "pad_token", "cls_token", "mask_token"]


def environment():
    def raise_exception(message):
        raise jinja2.exceptions.TemplateError(message)

    def tojson(x, ensure_ascii=False, indent=None, separators=None, sort_keys=False):
        return json.dumps(x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)

    def strftime_now(fmt):
        return FIXED_NOW.strftime(fmt)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True,
                                        extensions=[jinja2.ext.loopcontrols])
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    env.globals["strftime_now"] = strftime_now
    return env


def special_tokens(config):
    out = {}
    for key in SPECIAL_KEYS:
        value = config.get(key)
        if isinstance(value, dict):
            value = value.get("content")
        if value is not None:
            out[key] = value
    extra = config.get("additional_special_tokens")
    if extra:
        out["additional_special_tokens"] = [t.get("content") if isinstance(t, dict) else t for t in extra]
    return out


def pick_template(chat_template, has_tools):
    """transformers' choice among named templates: tool_use when tools are given and it exists, else default."""
    if isinstance(chat_template, str):
        return chat_template
    named = {t["name"]: t["template"] for t in chat_template}
    if has_tools and "tool_use" in named:
        return named["tool_use"]
    return named["default"]


def render(env, source, variables):
    try:
        return {"output": env.from_string(source).render(**variables)}
    except jinja2.exceptions.TemplateError as e:
        return {"error": str(e), "kind": type(e).__name__}
    except Exception as e:  # type errors and the like inside the template count as errors too
        return {"error": str(e), "kind": type(e).__name__}


def chat_goldens(env, config, cases):
    results = []
    for case in cases:
        tools = case.get("tools") or None
        source = pick_template(config["chat_template"], tools is not None)
        variables = dict(special_tokens(config))
        variables.update(messages=case["messages"], tools=tools, documents=None,
                         add_generation_prompt=case.get("add_generation_prompt", False))
        variables.update(case.get("kwargs", {}))
        result = {"case": case["name"]}
        result.update(render(env, source, variables))
        results.append(result)
    return results


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--packages", required=True, help="target/tokenizer-packages")
    parser.add_argument("--module", required=True, help="the gateway-engine module directory")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    env = environment()
    templates_dir = os.path.join(args.module, "src", "test", "resources", "template")
    with open(os.path.join(templates_dir, "chat-cases.json"), encoding="utf-8") as f:
        cases = json.load(f)
    os.makedirs(args.out, exist_ok=True)

    configs = {}
    for name in PACKAGES:
        path = os.path.join(args.packages, name, "package", "models", "tokenizer_config.json")
        if os.path.isfile(path):
            with open(path, encoding="utf-8") as f:
                configs[name] = json.load(f)
    builtin = os.path.join(args.module, "src", "main", "resources", "io", "fairlane", "engine", "tokenizer",
                           "builtin-chat-template.jinja")
    with open(builtin, encoding="utf-8") as f:
        configs["builtin"] = {"chat_template": f.read(), "eos_token": "<|im_end|>", "pad_token": "<|endoftext|>",
                              "additional_special_tokens": ["<|im_start|>", "<|im_end|>"]}

    written = 0
    for name, config in configs.items():
        if not config.get("chat_template"):
            continue  # e.g. llama2's package ships no template
        with open(os.path.join(args.out, name + ".json"), "w", encoding="utf-8") as f:
            json.dump(chat_goldens(env, config, cases), f, ensure_ascii=False, indent=1)
        written += 1

    features = os.path.join(templates_dir, "features")
    for file in sorted(os.listdir(features)) if os.path.isdir(features) else []:
        if not file.endswith(".jinja"):
            continue
        stem = file[:-len(".jinja")]
        with open(os.path.join(features, file), encoding="utf-8") as f:
            source = f.read()
        with open(os.path.join(features, stem + ".json"), encoding="utf-8") as f:
            contexts = json.load(f)
        results = []
        for i, variables in enumerate(contexts):
            result = {"case": str(i)}
            result.update(render(env, source, variables))
            results.append(result)
        with open(os.path.join(args.out, "feature-" + stem + ".json"), "w", encoding="utf-8") as f:
            json.dump(results, f, ensure_ascii=False, indent=1)
        written += 1
    print("chat_template_goldens: wrote %d golden files to %s (jinja2 %s)" % (written, args.out, jinja2.__version__),
          file=sys.stderr)


if __name__ == "__main__":
    main()
