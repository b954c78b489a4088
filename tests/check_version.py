#!/usr/bin/env python3
"""Checks that every copy of mixcut's version agrees with the one source, the
header's MIXCUT_VERSION_*: CMake's project version, the generated package
files, the built library, the Python package metadata and ABI major, the docs
and (when present) the Rust crates. Run by ctest (version_consistency).

Usage: check_version.py ROOT [--cmake X.Y.Z] [--file PATH]... [--library LIB]
  --file: a generated file that must contain the version (mixcut.pc, ...).
"""
import argparse
import ctypes
import pathlib
import re
import sys
import tomllib


def header_version(root):
    text = (root / "include/mixcut/mixcut.h").read_text()
    parts = [re.search(rf"^#define MIXCUT_VERSION_{p} (\d+)$", text, re.M) for p in
             ("MAJOR", "MINOR", "PATCH")]
    if not all(parts):
        sys.exit("FAIL: include/mixcut/mixcut.h lacks a MIXCUT_VERSION_* macro")
    return ".".join(m.group(1) for m in parts)


def python_metadata_version(root):
    """The version scikit-build-core's regex provider derives, computed the same way."""
    pyproject = root / "bindings/python/pyproject.toml"
    meta = tomllib.loads(pyproject.read_text())
    if "version" in meta["project"]:
        return f"a literal version {meta['project']['version']!r} (must be dynamic)"
    settings = meta["tool"]["scikit-build"]["metadata"]["version"]
    source = (pyproject.parent / settings["input"]).resolve()
    if source != (root / "include/mixcut/mixcut.h").resolve():
        return f"read from {source}, not the header"
    match = re.search(settings["regex"], source.read_text(), re.M)
    if not match:
        return "its regex does not match the header"
    return settings.get("result", "{value}").format(*match.groups(), **match.groupdict())


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("root", type=pathlib.Path)
    parser.add_argument("--cmake")
    parser.add_argument("--file", action="append", default=[], type=pathlib.Path)
    parser.add_argument("--library")
    args = parser.parse_args()
    root = args.root
    version = header_version(root)
    major = version.split(".")[0]
    found = {}  # where -> what it says
    expected = {}  # where -> what it must say, when not the whole version

    if args.cmake:
        found["CMake project()"] = args.cmake
    for path in args.file:
        text = path.read_text()
        found[path.name] = version if re.search(rf"\b{re.escape(version)}\b", text) else \
            "no " + version + " in it"
    if args.library:
        lib = ctypes.CDLL(args.library)
        lib.mixcut_version_string.restype = ctypes.c_char_p
        found["mixcut_version_string()"] = lib.mixcut_version_string().decode()

    found["bindings/python/pyproject.toml"] = python_metadata_version(root)
    init = (root / "bindings/python/mixcut/__init__.py").read_text()
    literal = re.search(r"^__version__ = ['\"]([^'\"]*)['\"]", init, re.M)
    if literal:
        found["mixcut.__version__"] = f"a literal {literal.group(1)!r} (must come from the library)"
    abi = re.search(r"^ABI_MAJOR = (\d+)$", (root / "bindings/python/mixcut/_lib.py").read_text(),
                    re.M)
    found["mixcut._lib.ABI_MAJOR"] = abi.group(1) if abi else "absent"
    expected["mixcut._lib.ABI_MAJOR"] = major
    doxy = re.search(r"^PROJECT_NUMBER *= *(.*)$", (root / "docs/Doxyfile").read_text(), re.M)
    if doxy and doxy.group(1).strip() != "$(MIXCUT_VERSION)":
        found["docs/Doxyfile PROJECT_NUMBER"] = f"{doxy.group(1).strip()} (must be $(MIXCUT_VERSION))"
    # The Rust crates: the workspace's version, or a crate's own.
    for cargo in sorted(root.glob("bindings/rust/Cargo.toml")) + \
            sorted(root.glob("bindings/rust/*/Cargo.toml")):
        manifest = tomllib.loads(cargo.read_text())
        for table in (manifest.get("workspace", {}).get("package", {}), manifest.get("package", {})):
            if isinstance(table.get("version"), str):
                found[str(cargo.relative_to(root))] = table["version"]

    wrong = {where for where, what in found.items() if what != expected.get(where, version)}
    for where, what in found.items():
        print(f"{'FAIL' if where in wrong else 'ok  '} {where}: {what}")
    if wrong:
        print(f"FAIL: {len(wrong)} cop{'y' if len(wrong) == 1 else 'ies'} disagree with "
              f"include/mixcut/mixcut.h ({version})", file=sys.stderr)
        return 1
    print(f"OK: {len(found)} copies agree with include/mixcut/mixcut.h: {version}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
