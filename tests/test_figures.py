"""Every figure README.md and docs/ quote comes from one recorded benchmark output."""

import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

import common  # noqa: E402
import figures  # noqa: E402


def test_quoted_figures_match_the_recorded_outputs():
    stale = [str(p.relative_to(ROOT)) for p in figures.stale()]
    assert not stale, f"run `python benchmarks/figures.py`: quoted figures differ from benchmarks/results/ in {stale}"


def test_every_recorded_output_says_when_where_and_how():
    for path in sorted(figures.RESULTS.glob("*.txt")):
        command, header = path.read_text(encoding="utf-8").splitlines()[:2]
        assert command == f"$ python benchmarks/{path.stem}.py" or command.startswith(
            f"$ python benchmarks/{path.stem}.py "
        )
        assert re.match(r"# \d{4}-\d\d-\d\d UTC, .*\d+ cores, Python .*load average", header), header


def test_every_recorded_output_is_quoted_somewhere():
    quoted = set()
    for doc in figures.documents():
        quoted |= {m.group(2) for m in figures.BLOCK.finditer(doc.read_text(encoding="utf-8"))}
    assert {p.stem for p in figures.RESULTS.glob("*.txt")} <= quoted


def test_recorded_keeps_what_a_script_prints_and_figures_quotes_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(common, "RESULTS", tmp_path / "results")
    with common.recorded("demo", ["--rounds", "3"]):
        print("| row | 1.0 ms |")
    assert capsys.readouterr().out == "| row | 1.0 ms |\n"  # still printed
    text = (tmp_path / "results" / "demo.txt").read_text()
    assert text.startswith("$ python benchmarks/demo.py --rounds 3\n# ") and text.endswith("| row | 1.0 ms |\n")
    monkeypatch.setattr(figures, "RESULTS", tmp_path / "results")
    doc = "before\n<!-- results: demo -->\nold figures\n<!-- /results -->\nafter\n"
    assert (
        figures.render(doc)
        == f"before\n<!-- results: demo -->\n```text\n{text.rstrip()}\n```\n<!-- /results -->\nafter\n"
    )
    with pytest.raises(FileNotFoundError, match="run benchmarks/missing.py"):
        figures.render("<!-- results: missing -->\n<!-- /results -->")


def test_an_interrupted_run_keeps_the_last_record(tmp_path, monkeypatch):
    monkeypatch.setattr(common, "RESULTS", tmp_path)
    (tmp_path / "demo.txt").write_text("the last complete run\n")
    with pytest.raises(KeyboardInterrupt), common.recorded("demo", []):
        print("half a table")
        raise KeyboardInterrupt
    assert (tmp_path / "demo.txt").read_text() == "the last complete run\n"
