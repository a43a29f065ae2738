"""The window on a real X server (Xvfb): a live session, its screenshot, and what it showed."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtGui import QImage

SCRIPT = Path(__file__).with_name("screenshot_session.py")
SETUP_HINT = "run ./scripts/test.sh, which installs them, or: sudo apt install xvfb libxcb-cursor0"


@pytest.fixture
def x_display() -> Iterator[str]:
    """A private Xvfb screen of 1280x720; its display name."""
    if shutil.which("Xvfb") is None:
        raise RuntimeError(f"Xvfb is not installed: {SETUP_HINT}")
    read, write = os.pipe()
    server = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x720x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    os.close(write)
    with os.fdopen(read) as pipe:
        number = pipe.readline().strip()
    try:
        assert number, "Xvfb did not start"
        yield f":{number}"
    finally:
        server.terminate()
        server.wait(10)


def test_a_live_session_in_a_real_window(x_display: str, tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "PULSE_SERVER")}
    environment["DISPLAY"] = x_display
    screenshot = tmp_path / "live.png"
    result = subprocess.run(
        [sys.executable, str(SCRIPT), str(screenshot), str(tmp_path / "work")],
        env=environment, capture_output=True, text=True, timeout=240,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["platform"] == "xcb" and summary["saved"]
    assert [said for said, _ in summary["rows"]] == [
        "Good morning, everyone.", "Where is the train station?", "Please close that window.",
    ]  # fmt: skip
    assert all(translation for _, translation in summary["rows"])
    # At 1280x720 a message floats without moving a control or covering Start, and the latency counters show.
    assert summary["layout"] == {"banner_moved_controls": False, "banner_covers_start": False, "counters_in_view": True}
    header, notice_shown = summary["demo_labels"]
    assert "demo models" in header and notice_shown  # demo output is labelled as such in the picture
    image = QImage(str(screenshot))
    assert (image.width(), image.height()) == (summary["width"], summary["height"])
    assert image.width() >= 1000 and image.height() >= 600
    pixels = np.array([image.pixelColor(x, y).lightness() for x in range(0, image.width(), 16)
                       for y in range(0, image.height(), 16)])  # fmt: skip
    assert pixels.std() > 10  # drawn, not a blank screen
