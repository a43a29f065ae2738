"""The catalog in the window: the first-start offer, a download with progress, and the offline path."""

from __future__ import annotations

from pathlib import Path

from hub_server import CLOSED_ENDPOINT, HubFixture
from PySide6.QtWidgets import QPushButton

from translator.models.catalog import load_catalog
from translator.models.store import ModelStore
from ui.main_window import MainWindow
from ui.settings import SettingsStore


def _banner_button(window: MainWindow, text: str) -> QPushButton:
    return next(button for button in window.banner.findChildren(QPushButton) if button.text().startswith(text))


def _window(qtbot, private_settings: Path, tmp_path: Path, hub: HubFixture, endpoint: str) -> MainWindow:  # type: ignore[no-untyped-def]
    store = ModelStore(tmp_path / "store", load_catalog(hub.catalog_path), endpoint)
    settings = SettingsStore(private_settings)
    settings.set("live/source", "en")
    settings.set("live/target", "de")
    window = MainWindow(settings, None, demo_folder=tmp_path / "demo-models", store=store)
    qtbot.addWidget(window)
    window.show()
    return window


def test_first_start_offers_the_models_with_their_size_and_downloads_them(
    qtbot, private_settings: Path, tmp_path: Path, local_hub: HubFixture
) -> None:
    window = _window(qtbot, private_settings, tmp_path, local_hub, local_hub.hub.endpoint)
    qtbot.waitUntil(lambda: "No models yet: download" in window.banner.text(), timeout=20_000)
    assert " kB)" in window.banner.text() or " MB)" in window.banner.text()  # the size is shown
    progress: list[tuple[str, int]] = []
    window.bridge.download_progress.connect(lambda model_id, name, received, total: progress.append((name, received)))

    _banner_button(window, "Download").click()
    qtbot.waitUntil(window.settings_view.has_models, timeout=60_000)
    assert progress and any(received > 0 for _, received in progress)
    models = window.settings_view.app_config().models
    assert models.whisper is not None and models.whisper.is_relative_to(tmp_path / "store")
    assert models.voices == tmp_path / "store"
    assert "all installed: in use" in window.settings_view.plan_text.text()
    assert "work offline" in window.banner.text()

    window.settings_view.load_requested.emit()  # the downloaded models load through the real loaders
    qtbot.waitUntil(lambda: window.settings_view.load_status.text() == "Models loaded and ready.", timeout=60_000)


def test_with_no_network_it_says_so_and_offers_the_demo_models(
    qtbot, private_settings: Path, tmp_path: Path, local_hub: HubFixture
) -> None:
    window = _window(qtbot, private_settings, tmp_path, local_hub, CLOSED_ENDPOINT)
    qtbot.waitUntil(lambda: "No models yet, and no network" in window.banner.text(), timeout=20_000)
    _banner_button(window, "Use demo models").click()
    qtbot.waitUntil(window.settings_view.has_models, timeout=60_000)
    assert window.demo_label.text() == "Demo models: placeholder output"
