#!/usr/bin/env python3
"""Builds the GPU runbook's tables, checks the targets, prints them and writes them (markdown) to --out:
the device benchmark from torch_baseline.py's JSON and GpuBenchmark's JSON files, and the end-to-end run from
EndToEndLoad's two JSON files (over HTTP, and the engine API in-process).

    python3 report.py --torch torch.json --fairlane fairlane-llama-3.2-1b.json fairlane-llama-3.1-8b.json --out report.md
    python3 report.py --e2e e2e-http.json e2e-direct.json --out e2e.md
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


def load(path):
    try:
        with open(path) as fh:
            return json.load(fh), None
    except (OSError, ValueError) as e:
        return None, "%s: %s" % (path, e)


def e2e_table(http_path, direct_path):
    """The end-to-end targets: light's p99 TTFT within 1.5x of solo; HTTP costs < 5% of the engine's tokens/s."""
    h, err_h = load(http_path)
    d, err_d = load(direct_path)
    rows, missed = [], []
    if h is None:
        return "End-to-end run: no result (%s)" % err_h
    w = h.get("workload", {})
    rows.append(("workload", "system prompt %s + %s tokens, %s output tokens; light %s req/s, heavy %sx; %s s per phase"
                 % (w.get("systemTokens"), w.get("suffixTokens"), w.get("maxTokens"), w.get("lightRps"), w.get("ratio"),
                    w.get("seconds")), "", ""))

    def tenant_row(phase, tenant):
        t = h.get(phase, {}).get(tenant)
        if not t:
            return None
        errors = " (%d errors: %s)" % (t["errors"], t.get("first_error", "")) if t.get("errors") else ""
        rows.append(("%s, %s: %d requests%s" % (phase, tenant, t["requests"], errors),
                     "TTFT p50 %.1f ms, p99 %.1f ms; ITL p99 %.2f ms; prefix-cache hits %.0f%%"
                     % (t["ttft_p50_ms"], t["ttft_p99_ms"], t["itl_p99_ms"], 100 * t["cache_hit_ratio"]), "", ""))
        if t.get("errors"):
            missed.append("%s %s: %d errors" % (phase, tenant, t["errors"]))
        return t

    solo = tenant_row("solo", "light")
    mixed = tenant_row("mixed", "light")
    tenant_row("mixed", "heavy")
    if "mixed" in h:
        rows.append(("mixed, total", "%.1f tokens/s" % h["mixed"]["tokens_per_second"], "", ""))
    if solo and mixed and solo["ttft_p99_ms"] > 0:
        ratio = mixed["ttft_p99_ms"] / solo["ttft_p99_ms"]
        ok = ratio <= 1.5
        rows.append(("light p99 TTFT, mixed vs solo", "%.1f ms vs %.1f ms" % (mixed["ttft_p99_ms"], solo["ttft_p99_ms"]),
                     "<= 1.5x (is %.2fx)" % ratio, "ok" if ok else "MISS"))
        if not ok:
            missed.append("light p99 TTFT %.2fx its solo value" % ratio)
    th = h.get("throughput")
    td = d.get("throughput") if d else None
    if th:
        rows.append(("closed loop over HTTP: %d clients, %d requests" % (th["concurrency"], th["requests"]),
                     "%.1f tokens/s; TTFT p50 %.1f ms; ITL p99 %.2f ms" % (th["tokens_per_second"], th["ttft_p50_ms"],
                                                                       th["itl_p99_ms"]), "", ""))
    if td:
        rows.append(("same load on the engine API in-process", "%.1f tokens/s; TTFT p50 %.1f ms; ITL p99 %.2f ms"
                     % (td["tokens_per_second"], td["ttft_p50_ms"], td["itl_p99_ms"]), "", ""))
    if th and td and td["tokens_per_second"] > 0:
        cost = 1 - th["tokens_per_second"] / td["tokens_per_second"]
        ok = cost < 0.05
        rows.append(("HTTP layer's cost in tokens/s", "%.1f%%" % (100 * cost), "< 5%", "ok" if ok else "MISS"))
        if not ok:
            missed.append("HTTP layer costs %.1f%% of the engine's tokens/s" % (100 * cost))
    elif err_d:
        rows.append(("engine API in-process", "no result (%s)" % err_d, "", "n/a"))
    header = ("end to end: %s, %s" % (h.get("label") or "?", h.get("date", "?")[:16]), "measured", "target", "verdict")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    table = "\n".join(lines)
    if missed:
        table += "\n\nEnd-to-end targets missed: " + "; ".join(missed)
    return table


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--torch")
    ap.add_argument("--fairlane", nargs="*", default=[])
    ap.add_argument("--e2e", nargs=2, metavar=("HTTP_JSON", "DIRECT_JSON"))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    if not args.torch and not args.e2e:
        ap.error("give --torch and --fairlane, or --e2e, or both")
    parts = []
    if args.torch:
        parts.append(device_table(args))
    if args.e2e:
        parts.append(e2e_table(*args.e2e))
    text = "\n\n".join(parts)
    print(text)
    with open(args.out, "w") as fh:
        fh.write(text + "\n")


def device_table(args):
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
    return table


if __name__ == "__main__":
    main()
