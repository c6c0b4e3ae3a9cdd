#!/usr/bin/env python3
"""Attributes a GNU ld map's kept input sections to the parts of a firmware image.

   map-attribute.py MAP PART=PATTERN... -> one JSON object: {part: {text, rodata, data, bss, exidx}}

Only sections the linker kept count (the part of the map after "Linker script and memory map";
--gc-sections leaves the dropped ones out of it). A section belongs to the first part whose PATTERN
(a regular expression) matches its input file; "other" takes the rest. Sizes are the input sections'
own, by the kind their name says: .text* code, .rodata* (and .ARM.extab) read-only data, .data*,
.bss*/.sbss*/.tbss*, .ARM.exidx* unwind index (before ld merges its EXIDX_CANTUNWIND entries).
"""
import json
import re
import sys

KINDS = [
    ("exidx", re.compile(r"^\.ARM\.exidx")),
    ("text", re.compile(r"^\.(text|init|fini)")),
    ("rodata", re.compile(r"^\.(s?rodata|ARM\.extab|srodata|eh_frame|gcc_except_table)")),
    ("bss", re.compile(r"^\.(s?bss|tbss|COMMON|common)|^COMMON$")),
    ("data", re.compile(r"^\.(s?data|tdata|init_array|fini_array|got)")),
]


def main():
    path, specs = sys.argv[1], sys.argv[2:]
    parts = []
    for spec in specs:
        name, pattern = spec.split("=", 1)
        parts.append((name, re.compile(pattern)))
    totals = {name: dict.fromkeys([k for k, _ in KINDS], 0) for name, _ in parts + [("other", None)]}
    lines = open(path, encoding="utf-8", errors="replace").read().split("\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.startswith("Linker script and memory map"))
    except StopIteration:
        sys.exit(f"map-attribute: {path} is not a GNU ld map")
    one_line = re.compile(r"^ (\S+)\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
    name_only = re.compile(r"^ (\S+)$")
    continuation = re.compile(r"^\s+0x([0-9a-fA-F]+)\s+0x([0-9a-fA-F]+)\s+(\S.*)$")
    pending = None
    for line in lines[start:]:
        section = size = source = None
        match = one_line.match(line)
        if match:
            section, size, source = match.group(1), int(match.group(3), 16), match.group(4)
        elif pending and continuation.match(line):
            match = continuation.match(line)
            section, size, source = pending, int(match.group(2), 16), match.group(3)
        pending = None
        if section is None:
            match = name_only.match(line)
            if match:
                pending = match.group(1)
            continue
        if section.startswith("*fill*") or size == 0:
            continue
        kind = next((k for k, pattern in KINDS if pattern.match(section)), None)
        if kind is None:
            continue
        owner = next((name for name, pattern in parts if pattern.search(source)), "other")
        totals[owner][kind] += size
    json.dump(totals, sys.stdout)
    print()


main()
