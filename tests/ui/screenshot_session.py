"""Run a real live session in a real window and save a screenshot of it:
`python screenshot_session.py OUT.png WORK [--readme]`.

Needs an X display (the test starts Xvfb) and starts its own virtual sound card. The window hears
three spoken phrases through the card, recognised by the project's phrase model, and shows their
translations (demo translation model: a placeholder sentence) with the latency panel filled in.
With `--readme` (the README's screenshot, docs/gui-live.png) the demo Whisper model hears them
instead, so each line's text and its translation match: the window labels both as demo output.
Before the session it checks the layout at 1280x720: a message banner moves no control, and the
latency panel's counters line is in view. Prints a JSON summary of what the window showed.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' helpers
from bench.virtual_sound import VirtualSoundServer  # noqa: E402
from translator.audio.files import SAMPLE_RATE, read_audio  # noqa: E402
from translator.config import AppConfig, ModelPaths  # noqa: E402
from translator.models.demo import build_demo_models  # noqa: E402
from translator.models.demo.phrases import PHRASES, phrase_whisper, speak_phrase  # noqa: E402

if TYPE_CHECKING:
    from ui.main_window import MainWindow

PHRASE_COUNT = 3


def wait_for(condition: Callable[[], bool], timeout_ms: int) -> bool:
    """Run the event loop until `condition` holds or the time is up."""
    from PySide6.QtCore import QCoreApplication, QDeadlineTimer, QEventLoop

    deadline = QDeadlineTimer(timeout_ms)
    while not condition():
        if deadline.hasExpired():
            return False
        QCoreApplication.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
        time.sleep(0.01)
    return True


def main(output: Path, work: Path, readme: bool = False) -> int:
    work.mkdir(parents=True, exist_ok=True)
    build_demo_models(work / "demo")
    recognition = work / "demo" / "whisper-demo" if readme else phrase_whisper(work / "phrases")
    config = AppConfig(ModelPaths(recognition, work / "demo" / "nllb-demo", work / "demo" / "voices"))
    pause = np.zeros(
        6 * SAMPLE_RATE, np.float32
    )  # room for the translation to play: the echo gate holds the input meanwhile
    speech = np.concatenate(
        [part for index in range(PHRASE_COUNT)
         for part in (pause, read_audio(speak_phrase(PHRASES[index], work / f"phrase{index}.wav")))]
    )  # fmt: skip
    sound = VirtualSoundServer(work / "pulse")
    os.environ["PULSE_SERVER"] = sound.server
    sound.silence_input()
    try:
        return _session(output, work, config, speech)
    finally:
        sound.stop()


def _session(output: Path, work: Path, config: AppConfig, speech: np.ndarray) -> int:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    from translator.audio.devices import portaudio
    from ui.main_window import MainWindow
    from ui.sessions import State
    from ui.settings import SettingsStore
    from ui.widgets import LOOPBACK

    app = QApplication([sys.argv[0]])
    window = MainWindow(SettingsStore(work / "gui.ini"), config, demo_folder=work / "demo")
    window.setGeometry(0, 0, 1280, 720)
    window.show()
    view = window.live_view
    view.source.set_code("en")
    view.target.set_code("de")
    view.input_device.set_choice(LOOPBACK)
    wait_for(lambda: False, 300)  # laid out and drawn at its size
    layout = _layout_facts(window)
    view.start.click()
    if not wait_for(lambda: window.live.state is State.RUNNING, 30_000):
        print(json.dumps({"error": window.banner.text() or "the session did not start"}))
        return 1
    portaudio().play(speech, SAMPLE_RATE)
    wait_for(lambda: len(view.latency.history.values) >= PHRASE_COUNT, 60_000)
    wait_for(lambda: False, 300)  # let the last repaint land before the screen is read
    frame = window.frameGeometry()
    shot = QGuiApplication.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    saved = shot.save(str(output))
    rows = [(row.source, row.translation) for row in view.transcript.final_rows()]
    demo_labels = [view.transcript.headerData(3, Qt.Orientation.Horizontal), view.demo_notice.isVisible()]
    view.start.click()
    wait_for(lambda: window.live.state is State.IDLE, 15_000)
    window.close()
    app.processEvents()
    print(json.dumps({"saved": saved, "width": shot.width(), "height": shot.height(), "rows": rows,
                      "platform": QGuiApplication.platformName(), "layout": layout,
                      "demo_labels": demo_labels}))  # fmt: skip
    return 0


def _layout_facts(window: MainWindow) -> dict[str, bool]:
    """Whether a banner left every control where it was, and whether the latency counters are in view."""
    from PySide6.QtCore import QPoint, QRect

    view, central = window.live_view, window.centralWidget()
    controls = (view.start, view.source, view.input_device, view.latency.counters, view.table)
    before = [control.mapTo(window, QPoint(0, 0)) for control in controls]
    window.banner.show_error("A long message, as a failure brings: " + "it wraps onto a second line. " * 8)
    wait_for(lambda: False, 200)
    moved = [control.mapTo(window, QPoint(0, 0)) for control in controls] != before
    start = QRect(view.start.mapTo(central, QPoint(0, 0)), view.start.size())
    covers_start = window.banner.geometry().intersects(start)
    window.banner.hide()
    seen = view.latency.counters.visibleRegion().boundingRect()
    return {"banner_moved_controls": moved, "banner_covers_start": covers_start,
            "counters_in_view": not seen.isEmpty() and seen.height() == view.latency.counters.height()}  # fmt: skip


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2]), readme="--readme" in sys.argv[3:]))
