#!/usr/bin/env python3
"""Turns a JFR recording's CPU samples into folded stacks and a static SVG flame graph.

    python3 bench/profile/flame.py RECORDING.jfr OUT_PREFIX [--threads fairlane-io] [--title TEXT]

Writes OUT_PREFIX.folded (one "frame;frame;frame count" line per distinct stack, root first) and OUT_PREFIX.svg
(the same stacks drawn as a flame graph: width is the share of samples, the root at the bottom; hovering a box
shows its frame, samples and share). Only samples of threads whose name starts with one of the --threads
prefixes are kept (comma-separated; empty keeps all). Needs the JDK's `jfr` tool: JAVA_HOME/bin/jfr or on PATH.
"""
import argparse
import collections
import html
import json
import os
import shutil
import subprocess
import sys
import zlib


def jfr_tool():
    home = os.environ.get("JAVA_HOME")
    if home and os.path.exists(os.path.join(home, "bin", "jfr")):
        return os.path.join(home, "bin", "jfr")
    found = shutil.which("jfr")
    if not found:
        sys.exit("flame.py: no `jfr` tool; set JAVA_HOME to a JDK 25")
    return found


def frame_name(frame):
    method = frame["method"]
    cls = method["type"]["name"].replace("/", ".")
    short = cls.rsplit(".", 1)[-1]
    # Package prefixes make boxes unreadable; the class and method name are what a reader looks for.
    return f"{short}.{method['name']}"


def fold(recording, prefixes, depth):
    out = subprocess.run([jfr_tool(), "print", "--json", "--stack-depth", str(depth),
                          "--events", "jdk.ExecutionSample", recording],
                         capture_output=True, text=True, check=True).stdout
    stacks = collections.Counter()
    for event in json.loads(out)["recording"]["events"]:
        values = event["values"]
        thread = (values.get("sampledThread") or {}).get("javaName") or ""
        if prefixes and not thread.startswith(tuple(prefixes)):
            continue
        frames = (values.get("stackTrace") or {}).get("frames") or []
        names = [frame_name(f) for f in reversed(frames)]  # JFR lists the leaf first
        if values["stackTrace"].get("truncated"):
            names.insert(0, "(truncated)")
        stacks[";".join(names) or "(no stack)"] += 1
    return stacks


class Node:
    __slots__ = ("name", "count", "children")

    def __init__(self, name):
        self.name, self.count, self.children = name, 0, {}


def tree(stacks):
    root = Node("all")
    for stack, count in stacks.items():
        node = root
        node.count += count
        for name in stack.split(";"):
            node = node.children.setdefault(name, Node(name))
            node.count += count
    return root


def colour(name):
    # A stable warm colour per frame name, so the same method has the same colour in every graph.
    h = zlib.crc32(name.encode())
    return f"rgb({205 + h % 50},{80 + (h >> 8) % 120},{40 + (h >> 16) % 40})"


def svg(root, title, width=1600, row=16, min_px=1.0):
    rows = []

    def depth_of(node):
        return 1 + max((depth_of(c) for c in node.children.values()), default=0)

    height_rows = depth_of(root)
    height = (height_rows + 3) * row
    scale = width / max(root.count, 1)

    def place(node, x, level):
        w = node.count * scale
        if w < min_px:
            return
        y = height - (level + 2) * row
        share = 100.0 * node.count / root.count
        label = html.escape(node.name)
        tip = f"{label} ({node.count} samples, {share:.2f}%)"
        text = ""
        chars = int(w / 7)
        if chars >= 3:
            shown = node.name if len(node.name) <= chars else node.name[:chars - 2] + ".."
            text = f'<text x="{x + 3:.1f}" y="{y + row - 4}">{html.escape(shown)}</text>'
        rows.append(f'<g><title>{tip}</title><rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 1}" '
                    f'fill="{colour(node.name)}" rx="2"/>{text}</g>')
        cx = x
        for child in sorted(node.children.values(), key=lambda c: c.name):
            place(child, cx, level + 1)
            cx += child.count * scale

    place(root, 0.0, 0)
    head = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'font-family="monospace" font-size="11">'
            f'<rect width="100%" height="100%" fill="#fdfdf6"/>'
            f'<text x="{width / 2}" y="{row}" text-anchor="middle" font-size="14">{html.escape(title)} '
            f'({root.count} samples)</text>')
    return head + "".join(rows) + "</svg>\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("recording")
    ap.add_argument("out_prefix")
    ap.add_argument("--threads", default="fairlane-io")
    ap.add_argument("--title", default="CPU samples")
    ap.add_argument("--depth", type=int, default=96)
    args = ap.parse_args()
    prefixes = [p for p in args.threads.split(",") if p]
    stacks = fold(args.recording, prefixes, args.depth)
    if not stacks:
        sys.exit("flame.py: no samples matched the thread filter")
    with open(args.out_prefix + ".folded", "w") as f:
        for stack, count in sorted(stacks.items()):
            f.write(f"{stack} {count}\n")
    with open(args.out_prefix + ".svg", "w") as f:
        f.write(svg(tree(stacks), args.title))
    print(f"{sum(stacks.values())} samples -> {args.out_prefix}.folded, {args.out_prefix}.svg")


if __name__ == "__main__":
    main()
