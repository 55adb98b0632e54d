#!/usr/bin/env python3
"""Builds the issue 9 table from torch_baseline.py's JSON and GpuBenchmark's JSON files, checks the targets, prints
the table and writes it (markdown) beside the inputs.

    python3 report.py --torch torch.json --fairlane fairlane-llama-3.2-1b.json fairlane-llama-3.1-8b.json --out report.md
"""
import argparse
import json
import sys

sys.path.insert(0, __import__("os").path.dirname(__import__("os").path.abspath(__file__)))
import synth_model  # noqa: E402


def flops_prefill(shape, tokens):
    c = synth_model.shapes()[shape]
    h, i, layers = c["hidden_size"], c["intermediate_size"], c["num_hidden_layers"]
    d = c.get("head_dim", h // c["num_attention_heads"])
    hq, hkv = c["num_attention_heads"], c["num_key_value_heads"]
    per_token = 2 * layers * (h * (hq + 2 * hkv) * d + hq * d * h + 3 * h * i)
    attention = layers * 2 * tokens * tokens * hq * d  # causal: half of 4 T^2 Hq D
    return per_token * tokens + attention + 2 * h * c["vocab_size"]  # lm_head for the last token


def num(v):
    return v if isinstance(v, (int, float)) else None


def fmt(v, unit=""):
    if v is None:
        return "n/a"
    if isinstance(v, str):
        return v
    if abs(v) >= 1e12:
        return "%.1f T%s" % (v / 1e12, unit)
    if abs(v) >= 1e9:
        return "%.1f G%s" % (v / 1e9, unit)
    if abs(v) >= 100:
        return "%.0f%s" % (v, (" " + unit) if unit else "")
    return "%.2f%s" % (v, (" " + unit) if unit else "")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torch", required=True)
    ap.add_argument("--fairlane", nargs="+", required=True)
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    t = json.load(open(args.torch))
    copy_bw = num(t.get("copy_bytes_per_second"))
    mm = num(t.get("bf16_matmul_flops"))
    rows = []
    device = t.get("device", "?")
    rows.append(("device", device, "torch %s, transformers %s" % (t.get("torch"), t.get("transformers")), "", ""))
    rows.append(("device-to-device copy (read + write)", "", fmt(copy_bw, "B/s"), "", ""))
    rows.append(("bf16 matmul 8192^3", "", fmt(mm, "FLOP/s"), "", ""))
    missed = []
    for path in args.fairlane:
        try:
            f = json.load(open(path))
        except (OSError, ValueError) as e:
            rows.append((path, "missing: %s" % e, "", "", "FAIL"))
            missed.append(path)
            continue
        shape = f["shape"]
        ts = t.get(shape, {})
        dec = f.get("decode", {})
        # 1. batch-1 decode moves weights at >= 70% of copy bandwidth
        b1 = dec.get("1")
        if b1 and copy_bw:
            bw = f["weight_bytes"] / (b1["ms_per_step"] / 1000.0)
            ratio = bw / copy_bw
            ok = ratio >= 0.70
            rows.append(("%s batch-1 decode weight bandwidth" % shape, fmt(bw, "B/s"),
                         "copy %s" % fmt(copy_bw, "B/s"), ">= 70%% (is %.0f%%)" % (100 * ratio), "ok" if ok else "MISS"))
            if not ok:
                missed.append("%s batch-1 bandwidth %.0f%%" % (shape, 100 * ratio))
        # 2. prefill >= 50% of PyTorch's matmul rate
        pf = f.get("prefill_tokens_per_second")
        if pf and mm:
            rate = flops_prefill(shape, f["prefill_tokens"]) / (f["prefill_tokens"] / pf)
            ratio = rate / mm
            ok = ratio >= 0.5
            rows.append(("%s prefill %d tokens" % (shape, f["prefill_tokens"]), "%s tok/s = %s" % (fmt(pf), fmt(rate, "FLOP/s")),
                         "%s tok/s" % fmt(num(ts.get("prefill_tokens_per_second"))),
                         ">= 50%% of matmul (is %.0f%%)" % (100 * ratio), "ok" if ok else "MISS"))
            if not ok:
                missed.append("%s prefill %.0f%% of matmul rate" % (shape, 100 * ratio))
        # 3. decode beats transformers at every batch, and the static cache at batch >= 8
        for b, d in sorted(dec.items(), key=lambda kv: int(kv[0])):
            ours = d["tokens_per_second"]
            gen = num(ts.get("generate_b%s" % b))
            st = num(ts.get("static_b%s" % b))
            need = [x for x in (gen, st if int(b) >= 8 else None) if x is not None]
            ok = all(ours > x for x in need) and gen is not None
            target = "> generate" + (" and > static" if int(b) >= 8 else "")
            rows.append(("%s decode batch %s" % (shape, b), "%s tok/s" % fmt(ours),
                         "generate %s, static %s" % (fmt(gen if gen is not None else ts.get("generate_b%s" % b)),
                                                     fmt(st if st is not None else ts.get("static_b%s" % b))),
                         target, "ok" if ok else ("MISS" if gen is not None else "n/a")))
            if not ok and gen is not None:
                missed.append("%s decode batch %s" % (shape, b))
        # 4. TTFT with a cached 8k prefix >= 10x faster than cold
        cold, cached = f.get("ttft_cold_ms"), f.get("ttft_cached_ms")
        if cold and cached:
            ratio = cold / cached
            ok = ratio >= 10
            rows.append(("%s TTFT %d+%d tokens" % (shape, f["ttft_prefix_tokens"], f["ttft_suffix_tokens"]),
                         "cold %.1f ms, cached %.1f ms" % (cold, cached), "", ">= 10x (is %.1fx)" % ratio,
                         "ok" if ok else "MISS"))
            if not ok:
                missed.append("%s TTFT ratio %.1fx" % (shape, ratio))
    header = ("measure", "Fairlane", "PyTorch / transformers", "target", "verdict")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    table = "\n".join(lines)
    if missed:
        table += "\n\nTargets missed: " + "; ".join(missed)
    print(table)
    with open(args.out, "w") as fh:
        fh.write(table + "\n")


if __name__ == "__main__":
    main()
