"""`translator bench` at the demo's sizes: every step runs and the report and chart are written.

The figures themselves are never asserted: timing belongs to the benchmark, not to tests.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from translator.cli import main
from translator.compute import ComputeSettings
from translator.demo.translation import DEMO_TRANSLATIONS, TranslationArchitecture, build_demo_opus_mt
from translator.languages import find_language
from translator.translation import TextTranslator, TranslatorSettings


def test_a_padded_vocabulary_gives_the_real_size_and_the_same_answer(tmp_path: Path) -> None:
    # Square position table (max_positions == width): CTranslate2 once aliased it to a zeroed projection.
    architecture = TranslationArchitecture(width=64, layers=2, heads=4, vocabulary=3000, max_positions=64)
    folder = build_demo_opus_mt(tmp_path / "opus-mt-en-de", "en", "de", architecture=architecture)
    assert len(json.loads((folder / "shared_vocabulary.json").read_text())) == 3000
    translator = TextTranslator(TranslatorSettings(folder, beam_size=1, cache_size=0), ComputeSettings("cpu", "int8"))
    answer = translator.translate(["Where is the station?"], find_language("en"), find_language("de"))
    assert answer == [DEMO_TRANSLATIONS["de"]]


@pytest.mark.timeout(600)
def test_the_tiny_bench_writes_its_report_and_chart(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    arguments = ["bench", "--size", "tiny", "--no-peers", "--repeats", "2", "--warmup", "1"]
    arguments += ["--live-utterances", "2", "--batch-minutes", "0.3", "--cache", str(tmp_path / "cache")]
    arguments += ["--out", str(tmp_path / "docs")]
    assert main(arguments) == 0
    assert "report written to" in capsys.readouterr().out
    report = (tmp_path / "docs" / "benchmarks.md").read_text()
    assert (tmp_path / "docs" / "benchmarks.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "random weights" in report and "pinned" in report
    for profile in ("fast", "balanced"):
        # The live session spoke both utterances and the batch file went through.
        for captions in ("on", "off"):
            assert re.search(rf"\| {profile} \| {captions} \| [^|]+ \| 2 of 2 \| \d+ ms / \d+ ms \|", report), report
        assert re.search(rf"\| {profile} \| 0\.\d min \| \d+\.\d s \| \d\.\d+ \|", report), report
        assert re.search(rf"\| {profile} \| \d+ MB \| \d+\.\d\d s \|", report), report
    # A second run reuses the cached models rather than building them again.
    built = {path: path.stat().st_mtime_ns for path in (tmp_path / "cache").glob("*/model.bin")}
    assert main([*arguments, "--profile", "fast", "--live-utterances", "1"]) == 0
    assert built and {path: path.stat().st_mtime_ns for path in built} == built
