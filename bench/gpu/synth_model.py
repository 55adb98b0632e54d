#!/usr/bin/env python3
"""Writes a random-weight Hugging Face model directory (config.json + model.safetensors, bf16) of a named shape.

Needs only numpy, so it runs on the GPU host and on build machines alike. Weights are uniform with a scale that
keeps activations of order one (embeddings in [-1, 1], projections sqrt(3 / fan_in), norms near 1, lm_head 4x),
so logits spread over a few units and greedy decoding has clear winners: the comparison with transformers then
tests the arithmetic, not tie-breaking.

    python3 synth_model.py --shape tiny-qwen3 --out /tmp/models/tiny-qwen3 [--seed 1]
"""
import argparse
import json
import os
import struct

import numpy as np

LLAMA3_ROPE = {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
               "original_max_position_embeddings": 8192}


def shapes():
    tiny = dict(hidden_size=256, intermediate_size=512, num_hidden_layers=2, num_attention_heads=8,
                num_key_value_heads=2, head_dim=32, max_position_embeddings=4096, rms_norm_eps=1e-5)
    return {
        # tiny shapes of each family, with each family's real vocabulary size
        "tiny-llama": dict(tiny, model_type="llama", vocab_size=128256, rope_theta=500000.0,
                           rope_scaling=LLAMA3_ROPE, tie_word_embeddings=False),
        "tiny-llama2": dict(tiny, model_type="llama", vocab_size=32000, rope_theta=10000.0, tie_word_embeddings=False),
        "tiny-qwen2": dict(tiny, model_type="qwen2", vocab_size=151936, rope_theta=1000000.0, tie_word_embeddings=True,
                           use_sliding_window=False, rms_norm_eps=1e-6),
        "tiny-qwen3": dict(tiny, model_type="qwen3", vocab_size=151936, rope_theta=1000000.0, tie_word_embeddings=False,
                           rms_norm_eps=1e-6),
        "tiny-mistral": dict(tiny, model_type="mistral", vocab_size=32768, rope_theta=1000000.0,
                             tie_word_embeddings=False, sliding_window=48),
        # benchmark shapes
        "llama-3.2-1b": dict(model_type="llama", hidden_size=2048, intermediate_size=8192, num_hidden_layers=16,
                             num_attention_heads=32, num_key_value_heads=8, head_dim=64, vocab_size=128256,
                             max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
                             rope_scaling=dict(LLAMA3_ROPE, factor=32.0), tie_word_embeddings=True),
        "llama-3.1-8b": dict(model_type="llama", hidden_size=4096, intermediate_size=14336, num_hidden_layers=32,
                             num_attention_heads=32, num_key_value_heads=8, head_dim=128, vocab_size=128256,
                             max_position_embeddings=131072, rms_norm_eps=1e-5, rope_theta=500000.0,
                             rope_scaling=LLAMA3_ROPE, tie_word_embeddings=False),
        "qwen3-0.6b": dict(model_type="qwen3", hidden_size=1024, intermediate_size=3072, num_hidden_layers=28,
                           num_attention_heads=16, num_key_value_heads=8, head_dim=128, vocab_size=151936,
                           max_position_embeddings=40960, rms_norm_eps=1e-6, rope_theta=1000000.0,
                           tie_word_embeddings=True),
    }


ARCHITECTURES = {"llama": "LlamaForCausalLM", "qwen2": "Qwen2ForCausalLM", "qwen3": "Qwen3ForCausalLM",
                 "mistral": "MistralForCausalLM"}


def config_json(shape):
    c = dict(shape)
    c["architectures"] = [ARCHITECTURES[c["model_type"]]]
    c.setdefault("hidden_act", "silu")
    c["torch_dtype"] = "bfloat16"
    c["bos_token_id"] = 1
    c["eos_token_id"] = 2
    c["attention_bias"] = c["model_type"] == "qwen2"
    if c["model_type"] == "qwen2":
        c.pop("attention_bias")
    return c


def to_bf16(x):
    """float32 array -> uint16 bf16 bits, round to nearest even (as torch does)."""
    u = np.ascontiguousarray(x, dtype=np.float32).view(np.uint32)
    rounded = u + np.uint32(0x7FFF) + ((u >> np.uint32(16)) & np.uint32(1))
    return (rounded >> np.uint32(16)).astype(np.uint16)


def tensors(c, rng):
    h, inter = c["hidden_size"], c["intermediate_size"]
    d = c.get("head_dim", h // c["num_attention_heads"])
    q, kv = c["num_attention_heads"] * d, c["num_key_value_heads"] * d

    def uni(shape, scale):
        return rng.uniform(-scale, scale, size=shape).astype(np.float32)

    def norm(n):
        return rng.uniform(0.8, 1.2, size=(n,)).astype(np.float32)

    yield "model.embed_tokens.weight", uni((c["vocab_size"], h), 1.0)
    for i in range(c["num_hidden_layers"]):
        p = f"model.layers.{i}."
        yield p + "input_layernorm.weight", norm(h)
        yield p + "self_attn.q_proj.weight", uni((q, h), (3.0 / h) ** 0.5)
        yield p + "self_attn.k_proj.weight", uni((kv, h), (3.0 / h) ** 0.5)
        yield p + "self_attn.v_proj.weight", uni((kv, h), (3.0 / h) ** 0.5)
        if c["model_type"] == "qwen2":
            yield p + "self_attn.q_proj.bias", uni((q,), 0.2)
            yield p + "self_attn.k_proj.bias", uni((kv,), 0.2)
            yield p + "self_attn.v_proj.bias", uni((kv,), 0.2)
        if c["model_type"] == "qwen3":
            yield p + "self_attn.q_norm.weight", norm(d)
            yield p + "self_attn.k_norm.weight", norm(d)
        yield p + "self_attn.o_proj.weight", uni((h, q), (3.0 / q) ** 0.5)
        yield p + "post_attention_layernorm.weight", norm(h)
        yield p + "mlp.gate_proj.weight", uni((inter, h), (3.0 / h) ** 0.5)
        yield p + "mlp.up_proj.weight", uni((inter, h), (3.0 / h) ** 0.5)
        yield p + "mlp.down_proj.weight", uni((h, inter), (3.0 / inter) ** 0.5)
    yield "model.norm.weight", norm(h)
    if not c.get("tie_word_embeddings", False):
        yield "lm_head.weight", uni((c["vocab_size"], h), 4 * (3.0 / h) ** 0.5)


def write_safetensors(path, named):
    """safetensors layout: u64 header length, JSON header (padded to 8 bytes), tensor bytes in header order."""
    header, blobs, offset = {}, [], 0
    for name, arr in named:
        data = to_bf16(arr).tobytes()
        header[name] = {"dtype": "BF16", "shape": list(arr.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header["__metadata__"] = {"format": "pt"}
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * ((8 - len(raw) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shape", required=True, choices=sorted(shapes()))
    ap.add_argument("--out", required=True)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    c = config_json(shapes()[args.shape])
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "config.json"), "w") as f:
        json.dump(c, f, indent=2)
    rng = np.random.default_rng(args.seed)
    write_safetensors(os.path.join(args.out, "model.safetensors"), tensors(c, rng))
    print(f"wrote {args.shape} to {args.out}")


if __name__ == "__main__":
    main()
