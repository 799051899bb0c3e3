"""docs/performance.md: each benchmark owns one generated section between its own markers
(``<!-- <script>: begin (generated, do not edit) -->`` ... ``<!-- <script>: end -->``), rewritten in place
by its next run; and what every section says of the run (date, commit, load)."""

from __future__ import annotations

import mmap
import os
import struct
import subprocess
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
DOC = REPO / "docs" / "performance.md"


def markers(script: str) -> tuple[str, str]:
    return f"<!-- {script}: begin (generated, do not edit) -->", f"<!-- {script}: end -->"


def write_section(script: str, text: str) -> None:
    """Put `text` between `script`'s markers, replacing what was there; appended at the end the first time."""
    begin, end = markers(script)
    block = f"{begin}\n{text.rstrip(chr(10))}\n{end}\n"
    doc = DOC.read_text() if DOC.exists() else "# Performance\n\nFigures measured by the benchmarks in tests/bench.\n\n"
    if begin in doc and end in doc:
        pre, rest = doc.split(begin, 1)
        post = rest.split(end, 1)[1].lstrip("\n")
        doc = pre + block + ("\n" + post if post else "")
    else:
        doc = doc.rstrip("\n") + "\n\n" + block
    DOC.write_text(doc)


def commit() -> str:
    """The short commit of the checkout, ``+changes`` when tracked files other than this document (which the
    benchmarks themselves rewrite) differ from it."""
    head = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no", "--", ".",
                            f":(exclude){DOC.relative_to(REPO)}"], capture_output=True, text=True).stdout.strip()
    return head + ("+changes" if dirty else "")


def utc_now() -> str:
    return time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())


def load_average() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg())


def build_profile(binary: Path) -> str:
    """``release`` or ``debug``, read from the binary itself rather than its path (a copy in /tmp says
    nothing): the workspace's dev profile keeps DWARF (a ``.debug_info`` section), release and dist strip
    it (``strip = "debuginfo"`` / ``"symbols"`` in Cargo.toml). ``unknown`` for a file that is not ELF."""
    try:
        with open(binary, "rb") as f:
            data = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)  # a debug build is a few hundred MB
    except (OSError, ValueError):
        return "unknown"
    if data[:4] != b"\x7fELF" or data[4] != 2:  # 64-bit ELF only (what this machine builds)
        return "unknown"
    end = "<" if data[5] == 1 else ">"
    shoff, = struct.unpack_from(end + "Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from(end + "HHH", data, 0x3A)

    def header(i: int) -> tuple[int, int, int]:
        name, = struct.unpack_from(end + "I", data, shoff + i * shentsize)
        offset, size = struct.unpack_from(end + "QQ", data, shoff + i * shentsize + 0x18)
        return name, offset, size

    try:
        _, str_off, str_size = header(shstrndx)
        names = data[str_off : str_off + str_size]
        for i in range(shnum):
            name = header(i)[0]
            if names[name : names.index(b"\0", name)] == b".debug_info":
                return "debug"
    except (struct.error, ValueError):
        return "unknown"
    return "release"
