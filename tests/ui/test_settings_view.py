"""Settings that survive a restart, the demo models, and loading models with progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt

from translator.config import AppConfig
from ui.main_window import MainWindow


def test_every_choice_survives_a_restart(open_window, demo_config: AppConfig, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    first = open_window(demo_config)
    live, files, settings = first.live_view, first.files_view, first.settings_view
    live.source.set_code("fr")
    live.target.set_code("es")
    live.conversation.setChecked(True)
    live.push_to_talk.setChecked(True)
    live.speech.setChecked(False)
    live.output_device.set_choice("Headphones")
    files.target.set_code("it")
    files.output_folder.setText(str(tmp_path / "translations"))
    for fmt, box in files.formats.items():
        box.setChecked(fmt in ("srt", "wav"))
    settings.device.setCurrentText("cpu")
    settings.compute_type.setCurrentText("int8")
    settings.threads.setValue(2)
    settings.silence_ms.setValue(650)
    settings.echo_gate.setChecked(False)
    settings.interims.setChecked(False)
    settings.max_delay.setValue(12.5)
    first.tabs.setCurrentIndex(2)
    first.resize(760, 560)  # within the offscreen screen (800x600), where Qt keeps a restored window
    first.close()

    second = open_window(None)  # no settings file to seed from: everything comes from the saved choices
    live, files, settings = second.live_view, second.files_view, second.settings_view
    assert (live.source.code(), live.target.code()) == ("fr", "es")
    assert live.conversation.isChecked() and live.push_to_talk.isChecked() and not live.speech.isChecked()
    assert live.output_device.choice() == "Headphones"
    assert files.target.code() == "it" and files.output_folder.text() == str(tmp_path / "translations")
    assert files.chosen_formats() == ["srt", "wav"]
    assert (settings.device.currentText(), settings.compute_type.currentText(), settings.threads.value()) == (
        "cpu", "int8", 2,
    )  # fmt: skip
    assert settings.silence_ms.value() == 650 and not settings.echo_gate.isChecked()
    assert not settings.interims.isChecked() and settings.max_delay.value() == 12.5
    assert settings.app_config().models == demo_config.models
    assert second.tabs.currentIndex() == 2
    assert (second.width(), second.height()) == (760, 560)


def test_demo_models_are_built_and_chosen_on_request(qtbot, open_window) -> None:  # type: ignore[no-untyped-def]
    window: MainWindow = open_window(None)
    assert not window.settings_view.has_models()
    window.tabs.setCurrentIndex(2)
    demo_button = next(b for b in window.settings_view.findChildren(type(window.live_view.start))
                       if b.text() == "Use demo models")  # fmt: skip
    qtbot.mouseClick(demo_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(window.settings_view.has_models, timeout=60_000)
    assert window.settings_view.whisper.path().is_relative_to(window.demo_folder)
    assert window.demo_label.text() == "Demo models: placeholder output"
    assert "Demo models in use" in window.banner.text()


def test_loading_models_shows_each_one_and_then_ready(qtbot, window: MainWindow) -> None:
    loading: list[str] = []
    window.bridge.model_loading.connect(lambda stage, path: loading.append(stage))
    window.settings_view.load_requested.emit()
    qtbot.waitUntil(lambda: window.settings_view.load_status.text() == "Models loaded and ready.", timeout=60_000)
    assert loading == ["recognition", "translation", "synthesis"]
    assert window.settings_view.loading.isHidden()
    window.settings_view.load_requested.emit()  # loaded once: the second time nothing loads again
    qtbot.waitUntil(lambda: not window.background.busy, timeout=10_000)
    assert loading == ["recognition", "translation", "synthesis"]
