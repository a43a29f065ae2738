"""The window's tests: offscreen, with a settings file of their own, never the user's."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from translator.config import AppConfig, load_config  # noqa: E402 - after the platform is chosen
from ui.main_window import MainWindow  # noqa: E402
from ui.settings import SETTINGS_ENVIRONMENT, SettingsStore  # noqa: E402


@pytest.fixture(autouse=True)
def private_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Even code that falls back to the default settings file writes under the test's folder."""
    path = tmp_path / "gui.ini"
    monkeypatch.setenv(SETTINGS_ENVIRONMENT, str(path))
    return path


@pytest.fixture
def demo_config(demo_folder: Path) -> AppConfig:
    return load_config(demo_folder / "demo.toml")


@pytest.fixture
def open_window(qtbot, private_settings: Path, tmp_path: Path):  # type: ignore[no-untyped-def]
    """Opens windows over the test's settings file and closes them (stopping their work) at the end."""
    windows: list[MainWindow] = []

    def opener(seed: AppConfig | None) -> MainWindow:
        window = MainWindow(SettingsStore(private_settings), seed, demo_folder=tmp_path / "demo-models")
        qtbot.addWidget(window)
        window.show()
        windows.append(window)
        return window

    yield opener
    for window in windows:
        window.close()


@pytest.fixture
def window(open_window, demo_config: AppConfig) -> Iterator[MainWindow]:  # type: ignore[no-untyped-def]
    """A window with the demo models chosen."""
    yield open_window(demo_config)
