"""Run a live session with the captions window open in a real window and save a screenshot of the captions:
`python screenshot_captions.py OUT.png WORK`.

Like screenshot_session.py (whose waiting helper it shares), it needs an X display (the test starts Xvfb) and
starts its own virtual sound card. The demo models hear two spoken phrases (the demo Whisper model writes its
one sentence for each, and the demo translation its placeholder, which the window labels as such). The picture
is taken while the second phrase's words are still forming under the first one's translation, or, where the
machine is too slow to catch that moment, once both are translated. Prints a JSON summary of what the
captions window showed, event by event.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))  # the project, run from anywhere
from screenshot_session import wait_for  # noqa: E402

from bench.virtual_sound import VirtualSoundServer  # noqa: E402
from translator.audio.files import SAMPLE_RATE, read_audio  # noqa: E402
from translator.config import AppConfig, ModelPaths  # noqa: E402
from translator.models.demo import build_demo_models  # noqa: E402
from translator.models.demo.phrases import PHRASES, speak_phrase  # noqa: E402

CAPTIONS_GEOMETRY = (140, 380, 1000, 300)  # x, y, width, height: over the lower part of the main window
_GAP_S = 2.5  # between the phrases: the first is translated before the second begins


def main(output: Path, work: Path) -> int:
    work.mkdir(parents=True, exist_ok=True)
    demo = work / "demo"
    build_demo_models(demo)
    config = AppConfig(ModelPaths(demo / "whisper-demo", demo / "nllb-demo", demo / "voices"))
    silence = np.zeros(round(_GAP_S * SAMPLE_RATE), np.float32)
    phrases = [read_audio(speak_phrase(PHRASES[index], work / f"phrase{index}.wav")) for index in range(2)]
    speech = np.concatenate([silence[: SAMPLE_RATE // 2], phrases[0], silence, phrases[1], silence])
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
    view.speech.setChecked(False)  # text only: nothing spoken for the echo gate to wait out
    view.captions_button.click()
    captions = window.companions.captions
    captions.setGeometry(*CAPTIONS_GEOMETRY)
    shown: list[tuple[str, str]] = []  # each event, and what the window showed right after it
    for name, signal in (
        ("interim", window.bridge.interim_text),
        ("final", window.bridge.final_text),
        ("translation", window.bridge.translation_ready),
    ):  # connected after the captions window's own slots, so they see what it shows
        signal.connect(lambda *_, name=name: shown.append((name, captions.plain_text())))

    def forming_under_a_translation() -> bool:
        lines = captions.captions()
        return any(line.translation for line in lines) and not lines[-1].final and bool(lines[-1].source)

    def translated(count: int) -> bool:
        return sum(bool(line.translation) for line in captions.captions()) >= count

    view.start.click()
    if not wait_for(lambda: window.live.state is State.RUNNING, 30_000):
        print(json.dumps({"error": window.banner.text() or "the session did not start"}))
        return 1
    portaudio().play(speech, SAMPLE_RATE)
    forming = wait_for(lambda: forming_under_a_translation() or translated(2), 40_000) and not translated(2)
    frame = captions.frameGeometry()
    shot = QGuiApplication.primaryScreen().grabWindow(0, frame.x(), frame.y(), frame.width(), frame.height())
    saved = shot.save(str(output))
    wait_for(lambda: translated(2), 30_000)
    facts = {
        "saved": saved,
        "width": shot.width(),
        "height": shot.height(),
        "platform": QGuiApplication.platformName(),
        "on_top": bool(captions.windowFlags() & Qt.WindowType.WindowStaysOnTopHint),
        "forming_in_picture": forming,
        "demo_notice": captions.demo_notice.isVisible(),
        "shown": shown,
        "captions": [[line.source, line.translation] for line in captions.captions()],
    }
    view.start.click()
    wait_for(lambda: window.live.state is State.IDLE, 15_000)
    window.close()
    app.processEvents()
    print(json.dumps(facts))
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), Path(sys.argv[2])))
