"""Copy the recorded benchmark outputs into README.md and docs/: one source for every figure.

Each benchmark script, run as ``python benchmarks/NAME.py``, keeps what it printed in
``benchmarks/results/NAME.txt`` (with the date, the machine and the command). A document quotes
it between two markers::

    <!-- results: NAME -->
    ...replaced by this script...
    <!-- /results -->

    python benchmarks/figures.py            # rewrite the quoted blocks from benchmarks/results/
    python benchmarks/figures.py --check    # exit 1 when a quoted block differs from its source
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"
BLOCK = re.compile(r"(<!-- results: ([\w-]+) -->\n)(.*?)(<!-- /results -->)", re.S)


def documents() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def render(text: str) -> str:
    """``text`` with every quoted block replaced by its recorded output."""

    def block(m: re.Match) -> str:
        source = RESULTS / f"{m.group(2)}.txt"
        if not source.is_file():
            raise FileNotFoundError(f"no recorded output {source.name}: run benchmarks/{m.group(2)}.py")
        return f"{m.group(1)}```text\n{source.read_text(encoding='utf-8').rstrip()}\n```\n{m.group(4)}"

    return BLOCK.sub(block, text)


def stale() -> list[Path]:
    """The documents whose quoted blocks differ from the recorded outputs."""
    return [p for p in documents() if render(p.read_text(encoding="utf-8")) != p.read_text(encoding="utf-8")]


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--check", action="store_true", help="only check; exit 1 when a block is out of date")
    args = p.parse_args(argv)
    out_of_date = stale()
    if args.check:
        for path in out_of_date:
            print(f"{path.relative_to(ROOT)}: quoted figures differ from benchmarks/results/", file=sys.stderr)
        return 1 if out_of_date else 0
    for path in out_of_date:
        path.write_text(render(path.read_text(encoding="utf-8")), encoding="utf-8")
        print(f"updated {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
