"""`translator bench --soak`: speech looped through the live pipeline on a virtual sound card, memory and delay
per window.

The two-minute run checks that the command runs end to end and that every window translated speech; the
targets themselves (memory growth, flat delay) are for the hour's run on a quiet machine, so here they are
tested on figures made up for them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from bench.measure import Figures
from bench.soak_report import SoakWindow, judge
from translator.cli import main

WINDOW_ROW = re.compile(
    r"^\| (\d+:\d\d)-(\d+:\d\d) \| (\d+) \| (\d+) \| (\d+) \| (\d+) ms \| (\d+) ms \| (\d+\.\d) MB \| (\d+\.\d) MB \|$",
    re.MULTILINE,
)


@pytest.mark.timeout(400)
def test_a_two_minute_soak_translates_speech_in_every_window(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "translator.cli", "bench", "--soak", "2", "--soak-window", "30"]
    finished = subprocess.run([*command, "--out", str(tmp_path)], capture_output=True, text=True, timeout=380)
    assert finished.returncode == 0, finished.stderr
    report = (tmp_path / "soak.md").read_text()
    assert [path.name for path in tmp_path.iterdir()] == ["soak.md"]  # written atomically: no temporary left
    assert report.startswith("# Soak run: 2 minutes of live translation")
    rows = WINDOW_ROW.findall(report)
    assert [(start, end) for start, end, *_ in rows] == [("0:00", "0:30"), ("0:30", "1:00"), ("1:00", "1:30"),
                                                         ("1:30", "2:00")]  # fmt: skip
    for _, _, utterances, exact, spoken, p50, p95, resident, peak in rows:
        assert int(spoken) >= 1 and int(exact) >= 1, report  # speech heard, recognised and translated aloud
        assert int(spoken) <= int(utterances) and int(p50) <= int(p95)
        assert 0 < float(resident) <= float(peak)
    targets = report.split("## Targets")[1]
    assert re.search(r"\| resident memory grows less than 5% [^|]+ \| [^|]+ \| (met|missed) \|", targets)
    assert re.search(r"\| speech-to-speech p95 flat within 10% [^|]+ \| [^|]+ \| (met|missed) \|", targets)
    assert "speech feeder (pacat" in report
    # The command prints the same tables.
    assert WINDOW_ROW.findall(finished.stdout) == rows
    assert f"report written to {tmp_path / 'soak.md'}" in finished.stdout


def window(resident: float, p95: float | None, peak: float | None = None) -> SoakWindow:
    delay = None if p95 is None else Figures(p95 * 0.8, p95, (p95 * 0.8, p95))
    return SoakWindow(0, 300, 50, 50, 0 if delay is None else 50, delay, resident, peak or resident)


def test_memory_growth_is_judged_on_each_windows_level_after_the_first() -> None:
    # A passing allocation (a high peak) is no growth; a level 6% above the first window's is.
    met, _ = judge((window(400, 1.0), window(410, 1.0, peak=480), window(415, 1.0)))
    assert met.met is True and "+3.8%" in met.measured
    missed, _ = judge((window(400, 1.0), window(410, 1.0), window(424, 1.0)))
    assert missed.met is False and "+6.0%" in missed.measured
    alone, _ = judge((window(400, 1.0),))
    assert alone.met is None and alone.word == "not judged"


def test_delay_flatness_ignores_the_first_window_and_needs_two_after_it() -> None:
    _, flat = judge((window(400, 3.0), window(400, 1.00), window(400, 1.05), window(400, 0.97)))
    assert flat.met is True
    _, rising = judge((window(400, 1.0), window(400, 1.0), window(400, 1.0), window(400, 1.25)))
    assert rising.met is False and "25.0%" in rising.measured
    _, silent = judge((window(400, 1.0), window(400, None), window(400, 1.0)))
    assert silent.met is None


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf", "soon"])
def test_soak_minutes_must_be_a_positive_number(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["bench", "--soak", value])
    assert exit_info.value.code == 2
    assert "use a number of minutes above 0" in capsys.readouterr().err
