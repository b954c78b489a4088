#!/usr/bin/env python3
"""The CUDA benchmark table against issue 17's targets.

  python3 bench/cuda_report.py cuda_bench.json [compare.json] [NAME=variant.json ...]
cuda_bench.json: Google Benchmark JSON of build/.../bench/cuda_bench; each
kernel row's label names the roofline row it is divided by. compare.json:
bench/cuda_compare.py --out (timm / torchvision on the same GPU). A
variant (the same binary on a library built with other tuning options)
gets its own table, each row divided by that run's roofline rows.
"""

import json
import sys


def load_rows(path):
    bench = json.load(open(path))
    return bench, {b["name"].split("/manual_time")[0].split("/iterations:")[0]: b
                   for b in bench["benchmarks"]}


def main():
    variants = [a for a in sys.argv[2:] if "=" in a]
    args = [a for a in sys.argv[1:] if "=" not in a]
    bench, rows = load_rows(args[0])
    gbs = {name: b["GB/s"] for name, b in rows.items()}
    print(f"GPU: {bench['context'].get('host_name', '?')}, {bench['context'].get('date', '')}\n")
    print("| row | ms | GB/s | roofline | ratio | host µs/call |")
    print("|---|---:|---:|---|---:|---:|")
    ratio = {}
    for name, b in rows.items():
        roof = b.get("label", "").removeprefix("roofline=")
        r = gbs[name] / gbs[roof] if roof in gbs else None
        ratio[name] = r
        ms = b["real_time"] * {"ms": 1, "us": 1e-3, "ns": 1e-6, "s": 1e3}[b["time_unit"]]
        rs = f"{r:.2f}" if r is not None else ""
        host = b.get("host_us")
        hs = f"{host:.1f}" if host is not None else ""
        print(f"| {name} | {ms:.4f} | {gbs[name]:.0f} | {roof.removeprefix('roofline/')} | {rs} "
              f"| {hs} |")
        rows[name]["ms"] = ms

    def get(name):
        return rows.get(name, {}).get("ms")

    print("\nTargets (256x3x224x224):")
    checks = []
    elem, batch = "mixup/f32_nchw_inplace/flip/elem", "mixup/f32_nchw_inplace/flip/batch"
    if elem in rows:
        checks.append(("f32 Mixup in place, elem >= 0.85 of the in-place scale roofline",
                       ratio[elem], ratio[elem] >= 0.85))
        checks.append(("elem within 5 % of batch (time elem / batch)", get(elem) / get(batch),
                       get(elem) <= 1.05 * get(batch)))
    for mode in ("batch", "elem"):
        name = f"cutmix/f32_nchw_inplace/flip/{mode}"
        if name in rows:
            checks.append((f"CutMix in place ({mode}) >= 0.7 of copy bandwidth on box bytes",
                           ratio[name], ratio[name] >= 0.7))
        name = f"mixup/u8_nhwc_to_f32_nchw_norm/flip/{mode}"
        if name in rows:
            checks.append((f"u8 NHWC -> normalised f32 NCHW Mixup ({mode}) >= 0.8 of byte bound",
                           ratio[name], ratio[name] >= 0.8))
    for form in ("holes16", "erasing"):
        for prefix in ("", "graph/"):
            name = f"{prefix}cutout/f32_nchw_inplace/{form}"
            if name in rows:
                checks.append((f"{prefix}Cutout ({form}), whole batch, one launch <= 0.05 ms",
                               get(name), get(name) <= 0.05))
    for name, bound, text in (
            ("graph/mixup/f32_nchw_inplace/flip/elem", 0.85, "graph replay: f32 Mixup elem"),
            ("graph/cutmix/f32_nchw_inplace/flip/elem", 0.7, "graph replay: CutMix elem"),
            ("graph/mixup/u8_nhwc_to_f32_nchw_norm/flip/elem", 0.8,
             "graph replay: u8 NHWC -> f32 NCHW Mixup elem")):
        if name in rows and ratio.get(name) is not None:
            checks.append((f"{text} >= {bound} of its roofline", ratio[name], ratio[name] >= bound))
    for variant in variants:
        name, path = variant.split("=", 1)
        _, vrows = load_rows(path)
        print(f"\nVariant {name} (same binary, library built with its options):\n")
        print("| row | ms | ratio | ratio of the default library |")
        print("|---|---:|---:|---:|")
        for row, b in vrows.items():
            roof = b.get("label", "").removeprefix("roofline=")
            if roof not in vrows:
                continue
            ms = b["real_time"] * {"ms": 1, "us": 1e-3, "ns": 1e-6, "s": 1e3}[b["time_unit"]]
            base = ratio.get(row)
            print(f"| {row} | {ms:.4f} | {b['GB/s'] / vrows[roof]['GB/s']:.2f} | "
                  f"{'' if base is None else f'{base:.2f}'} |")
    if len(args) > 1:
        cmp = json.load(open(args[1]))["ms"]
        if "timm Mixup elem" in cmp and elem in rows:
            checks.append((">= 50x timm's elem mode (mixcut elem, device labels included)",
                           cmp["timm Mixup elem"] / cmp["mixcut Mixup elem"],
                           cmp["timm Mixup elem"] / cmp["mixcut Mixup elem"] >= 50))
            checks.append((">= 2x timm's batch mode (mixcut elem, device labels included)",
                           cmp["timm Mixup batch"] / cmp["mixcut Mixup elem"],
                           cmp["timm Mixup batch"] / cmp["mixcut Mixup elem"] >= 2))
        print("\nPython comparison on the same GPU (ms, CUDA-event medians):\n")
        print("| row | ms |\n|---|---:|")
        for name, ms in cmp.items():
            print(f"| {name} | {ms:.3f} |")
        print()
    for text, value, ok in checks:
        print(f"- [{'x' if ok else ' '}] {text}: {value:.3f}")


if __name__ == "__main__":
    main()
