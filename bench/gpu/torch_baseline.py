#!/usr/bin/env python3
"""PyTorch reference points for the GPU benchmark (report.py compares with them), on the GPU host: the device's copy bandwidth and bf16 matmul rate, and
transformers on the same model shapes Fairlane's GpuBenchmark runs (random bf16 weights): decode tokens/s with
`generate` (dynamic cache) and with a static cache, at several batch sizes, and prefill tokens/s of a 2k prompt.
Each measurement is guarded: a failure or a time overrun records the reason instead of stopping the run.

    python3 torch_baseline.py --shapes llama-3.2-1b,llama-3.1-8b --out torch.json [--budget-seconds 420]
"""
import argparse
import json
import os
import sys
import time
import traceback

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import synth_model  # noqa: E402


def timed(fn, reps=10, warmup=3):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    times = []
    for _ in range(reps):
        start.record()
        fn()
        end.record()
        end.synchronize()
        times.append(start.elapsed_time(end) / 1000.0)
    times.sort()
    return times[len(times) // 2]


def copy_bandwidth():
    n = 1 << 30  # 2 GiB of bf16 each way: far beyond L2
    a = torch.empty(n, dtype=torch.bfloat16, device="cuda").uniform_()
    b = torch.empty_like(a)
    t = timed(lambda: b.copy_(a))
    return 2 * a.numel() * a.element_size() / t  # bytes read + written per second


def matmul_rate():
    n = 8192
    a = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    b = torch.randn(n, n, dtype=torch.bfloat16, device="cuda")
    t = timed(lambda: a @ b)
    return 2 * n ** 3 / t


def build(shape):
    from transformers import AutoConfig, AutoModelForCausalLM
    cfg = synth_model.config_json(synth_model.shapes()[shape])
    model_type = cfg.pop("model_type")
    config = AutoConfig.for_model(model_type, **{k: v for k, v in cfg.items() if k not in ("architectures",)})
    with torch.device("cuda"):
        try:
            model = AutoModelForCausalLM.from_config(config, dtype=torch.bfloat16)
        except TypeError:
            model = AutoModelForCausalLM.from_config(config, torch_dtype=torch.bfloat16)
    return model.eval(), config.vocab_size


def decode_rate(model, vocab, batch, prompt, new_tokens, static):
    ids = torch.randint(3, vocab, (batch, prompt), device="cuda")
    kwargs = dict(max_new_tokens=new_tokens, min_new_tokens=new_tokens, do_sample=False, pad_token_id=0)
    if static:
        kwargs["cache_implementation"] = "static"

    def gen(n):
        with torch.no_grad():
            model.generate(ids, **dict(kwargs, max_new_tokens=n, min_new_tokens=n))

    gen(new_tokens)  # warm-up (and, for a static cache, compilation where transformers applies it)
    torch.cuda.synchronize()
    t0 = time.time()
    gen(1)
    torch.cuda.synchronize()
    t_prefill = time.time() - t0
    t0 = time.time()
    gen(new_tokens)
    torch.cuda.synchronize()
    t = time.time() - t0
    return batch * (new_tokens - 1) / max(t - t_prefill, 1e-9)


def prefill_rate(model, vocab, length):
    ids = torch.randint(3, vocab, (1, length), device="cuda")

    def run():
        with torch.no_grad():
            try:
                model(input_ids=ids, use_cache=False, logits_to_keep=1)
            except TypeError:  # older transformers
                model(input_ids=ids, use_cache=False)

    return length / timed(run, reps=5, warmup=2)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--shapes", default="llama-3.2-1b,llama-3.1-8b")
    ap.add_argument("--batches", default="1,8,64,256")
    ap.add_argument("--prompt", type=int, default=128)
    ap.add_argument("--new-tokens", type=int, default=64)
    ap.add_argument("--prefill", type=int, default=2048)
    ap.add_argument("--budget-seconds", type=float, default=420)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    deadline = time.time() + args.budget_seconds
    res = {"device": torch.cuda.get_device_name(0), "torch": torch.__version__}
    try:
        import transformers
        res["transformers"] = transformers.__version__
    except Exception as e:  # noqa: BLE001
        res["transformers"] = "missing: %s" % e

    def guarded(key, fn, store):
        if time.time() > deadline:
            store[key] = "not measured: time budget spent"
            return
        try:
            store[key] = fn()
        except Exception as e:  # noqa: BLE001
            store[key] = "failed: %s" % (str(e).splitlines() or [repr(e)])[0][:200]
            traceback.print_exc()
        print(key, store[key], flush=True)
        json.dump(res, open(args.out, "w"), indent=2)

    guarded("copy_bytes_per_second", copy_bandwidth, res)
    guarded("bf16_matmul_flops", matmul_rate, res)
    for shape in args.shapes.split(","):
        s = res.setdefault(shape, {})
        try:
            model, vocab = build(shape)
        except Exception as e:  # noqa: BLE001
            s["error"] = "model build failed: %s" % e
            traceback.print_exc()
            continue
        guarded("prefill_tokens_per_second", lambda: prefill_rate(model, vocab, args.prefill), s)
        for b in map(int, args.batches.split(",")):
            guarded("generate_b%d" % b, lambda: decode_rate(model, vocab, b, args.prompt, args.new_tokens, False), s)
        for b in map(int, args.batches.split(",")):
            guarded("static_b%d" % b, lambda: decode_rate(model, vocab, b, args.prompt, args.new_tokens, True), s)
        del model
        torch.cuda.empty_cache()
    json.dump(res, open(args.out, "w"), indent=2)


if __name__ == "__main__":
    main()
