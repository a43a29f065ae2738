"""The window's remembered choices, in an INI file of the app's own (never the core's settings file).

Tests and a second profile pass their own file; by default it lives in the user's config folder.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

import platformdirs
from PySide6.QtCore import QByteArray, QSettings

SETTINGS_ENVIRONMENT = "TRANSLATOR_GUI_SETTINGS"
T = TypeVar("T", str, int, float, bool)


def default_settings_path() -> Path:
    """`$TRANSLATOR_GUI_SETTINGS`, else `gui.ini` in the user's config folder for the app."""
    explicit = os.environ.get(SETTINGS_ENVIRONMENT)
    return Path(explicit) if explicit else Path(platformdirs.user_config_dir("translator")) / "gui.ini"


class SettingsStore:
    """Typed reads and writes over a `QSettings` INI file; a value of the wrong type reads as the default."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self._settings = QSettings(str(path), QSettings.Format.IniFormat)

    def get(self, key: str, default: T) -> T:
        value: Any = self._settings.value(key, default)
        try:
            if isinstance(default, bool):  # INI stores booleans as "true"/"false"
                return value if isinstance(value, bool) else str(value).lower() == "true"
            return type(default)(value)
        except (TypeError, ValueError):
            return default

    def set(self, key: str, value: str | int | float | bool) -> None:
        self._settings.setValue(key, value)

    def get_bytes(self, key: str) -> QByteArray | None:
        value = self._settings.value(key)
        return value if isinstance(value, QByteArray) else None

    def set_bytes(self, key: str, value: QByteArray) -> None:
        self._settings.setValue(key, value)

    def sync(self) -> None:
        self._settings.sync()
