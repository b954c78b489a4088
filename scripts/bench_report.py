#!/usr/bin/env python3
"""Plots mixcut's Google Benchmark results: GB/s per kernel beside the rooflines.

    python scripts/bench_report.py BENCH.json [-o PLOT.png] [--filter REGEX]
    python scripts/bench_report.py BENCH.json --table   (Markdown ratio table, no matplotlib)

BENCH.json is what a Google Benchmark binary writes with
`--benchmark_out=BENCH.json --benchmark_out_format=json`. Each benchmark is one
horizontal bar of its bytes_per_second (set by SetBytesProcessed); roofline
benchmarks (memcpy, non-temporal copy, in-place scale, memset: names matching
--roofline) are grey, kernels are coloured by family, and a kernel's ratio
counter (a user counter whose name contains "ratio", a fraction such as 0.87)
is printed beside its bar as a percentage.
With --benchmark_repetitions the median aggregate is used; otherwise the median
over repeated runs of the same name.

Writes the PNG (default: BENCH.png next to the JSON) and prints its path on the
last line. Needs matplotlib.
"""
import argparse
import json
import os
import re
import statistics
import sys

DEFAULT_ROOFLINE = r"(?i)roofline|memcpy|memset|copy|scale|stream"
# Fields Google Benchmark writes itself; every other numeric field is a user counter.
STANDARD_FIELDS = {
    "name", "family_index", "per_family_instance_index", "run_name", "run_type",
    "repetitions", "repetition_index", "threads", "iterations", "real_time", "cpu_time",
    "time_unit", "bytes_per_second", "items_per_second", "label", "error_occurred",
    "error_message", "aggregate_name", "aggregate_unit", "big_o", "rms", "complexity_n",
}


def counter(b, name):
    """A user counter: `name` exactly, else the first whose name contains it."""
    if isinstance(b.get(name), (int, float)):
        return b[name]
    return next((v for k, v in b.items() if k not in STANDARD_FIELDS
                 and name in k.lower() and isinstance(v, (int, float))), None)


EXTRA_COUNTERS = ("pattern_ratio", "line_ceiling", "elem_vs_batch", "speedup", "speedup_room",
                  "vs_stack_then_mix")


def load_rows(path):
    """[(label, bytes_per_second, ratio or None, extra)] in the file's order;
    extra holds the median milliseconds ("ms") and the EXTRA_COUNTERS."""
    with open(path, encoding="utf-8") as f:
        report = json.load(f)
    benchmarks = report.get("benchmarks", [])
    has_median = any(b.get("aggregate_name") == "median" for b in benchmarks)
    grouped = {}  # run name -> list of runs; dicts keep order
    for b in benchmarks:
        if "bytes_per_second" not in b or b.get("error_occurred"):
            continue
        if has_median and b.get("aggregate_name") != "median":
            continue
        if not has_median and b.get("run_type") == "aggregate":
            continue
        name = b.get("run_name") or b["name"]
        scale = {"ns": 1e-6, "us": 1e-3, "ms": 1.0, "s": 1e3}.get(b.get("time_unit", "ns"), 1e-6)
        run = {"rate": float(b["bytes_per_second"]), "ratio": counter(b, "ratio"),
               "ms": float(b.get("real_time", 0.0)) * scale}
        # Exact names: "speedup" is also part of "speedup_room".
        run.update({k: b.get(k) for k in EXTRA_COUNTERS})
        grouped.setdefault(name, []).append(run)
    rows = []
    for name, runs in grouped.items():
        def median_of(k):
            values = [r[k] for r in runs if isinstance(r[k], (int, float))]
            return statistics.median(values) if values else None
        extra = {k: median_of(k) for k in ("ms",) + EXTRA_COUNTERS}
        rows.append((pretty(name), median_of("rate"), median_of("ratio"), extra))
    return report.get("context", {}), rows


def print_table(rows, roofline):
    """The ratio table as Markdown (kernels only; rooflines give the ratios)."""
    print("| benchmark | ms | GB/s | ratio to roofline | ratio to glibc on the same rows "
          "| ceiling from cache-line traffic | elem / batch bandwidth "
          "| speed-up over 1 thread (rooflines allow) | stack-then-mix time / gather time |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    def cell(value):
        return "" if value is None else f"{value:.2f}"
    for label, rate, ratio, extra in rows:
        if roofline.search(label) and ratio is None:
            print(f"| {label} | {extra['ms']:.3f} | {rate / 1e9:.1f} | | | | | | |")
            continue
        speedup = cell(extra["speedup"])
        if speedup and extra["speedup_room"] is not None:
            speedup += f" ({extra['speedup_room']:.2f})"
        print(f"| {label} | {extra['ms']:.3f} | {rate / 1e9:.1f} | {cell(ratio)} | "
              f"{cell(extra['pattern_ratio'])} | {cell(extra['line_ceiling'])} | "
              f"{cell(extra['elem_vs_batch'])} | {speedup} | "
              f"{cell(extra['vs_stack_then_mix'])} |")


def pretty(name):
    name = re.sub(r"/(real|manual)_time$", "", name)
    return name[3:] if name.startswith("BM_") else name


def family(label):
    return re.split(r"[/_<:]", label, maxsplit=1)[0]


def plot(context, rows, roofline, title, out_path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    families = []
    for label, *_ in rows:
        if not roofline.search(label) and family(label) not in families:
            families.append(family(label))
    palette = plt.get_cmap("tab10")
    colours = {f: palette(i % 10) for i, f in enumerate(families)}

    labels = [label for label, *_ in rows]
    rates = [rate / 1e9 for _, rate, *_ in rows]
    bar_colours = ["#a0a0a0" if roofline.search(label) else colours[family(label)]
                   for label in labels]

    height = 1.6 + 0.3 * len(rows)
    fig, ax = plt.subplots(figsize=(11, height))
    positions = list(range(len(rows)))
    ax.barh(positions, rates, color=bar_colours,
            hatch=["//" if roofline.search(label) else "" for label in labels],
            edgecolor="white")
    ax.set_yticks(positions)
    ax.set_yticklabels(labels, fontsize=8, family="monospace")
    ax.invert_yaxis()  # the file's first benchmark on top
    ax.set_xlabel("GB/s (bytes the operation must move / time; higher is better)")
    peak = max(rates) if rates else 1.0
    ax.set_xlim(0, peak * 1.35)  # room for the labels at the bar ends
    for y, (label, rate, ratio, _) in zip(positions, rows):
        text = f"{rate / 1e9:.1f}"
        if ratio is not None and not roofline.search(label):
            text += f"  ({100 * ratio:.0f}% of roofline)"
        ax.text(rate / 1e9 + peak * 0.01, y, text, va="center", fontsize=7)
    ax.grid(axis="x", alpha=0.3)

    machine = ", ".join(str(x) for x in (
        context.get("host_name"),
        f"{context['num_cpus']} CPUs" if "num_cpus" in context else None,
        context.get("date")) if x)
    ax.set_title(title + (f"\n{machine}" if machine else ""), fontsize=10)
    from matplotlib.patches import Patch
    legend = [Patch(facecolor="#a0a0a0", hatch="//", edgecolor="white", label="roofline")]
    legend += [Patch(facecolor=colours[f], label=f) for f in families]
    ax.legend(handles=legend, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8)
    fig.tight_layout()
    fig.savefig(out_path, dpi=120)
    plt.close(fig)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("json", help="Google Benchmark JSON output")
    parser.add_argument("-o", "--output", help="PNG to write (default: JSON path with .png)")
    parser.add_argument("--filter", help="only benchmarks whose name matches this regex")
    parser.add_argument("--roofline", default=DEFAULT_ROOFLINE,
                        help=f"regex naming the roofline benchmarks (default {DEFAULT_ROOFLINE!r})")
    parser.add_argument("--title", default="mixcut kernels beside the machine's rooflines")
    parser.add_argument("--table", action="store_true",
                        help="print the ratio table as Markdown instead of plotting")
    args = parser.parse_args(argv)

    try:
        context, rows = load_rows(args.json)
    except (OSError, ValueError) as error:
        sys.exit(f"bench_report: cannot read {args.json}: {error}")
    if args.filter:
        wanted = re.compile(args.filter)
        rows = [row for row in rows if wanted.search(row[0])]
    if not rows:
        sys.exit(f"bench_report: no benchmark with bytes_per_second in {args.json}")
    if args.table:
        print_table(rows, re.compile(args.roofline))
        return
    out_path = args.output or os.path.splitext(args.json)[0] + ".png"
    try:
        plot(context, rows, re.compile(args.roofline), args.title, out_path)
    except ImportError:
        sys.exit("bench_report: needs matplotlib (pip install matplotlib)")

    width = max(len(label) for label, *_ in rows)
    for label, rate, ratio, _ in rows:
        share = f"{100 * ratio:5.0f}%" if ratio is not None else ""
        print(f"{label:<{width}}  {rate / 1e9:8.2f} GB/s  {share}")
    print(os.path.abspath(out_path))


if __name__ == "__main__":
    main()
