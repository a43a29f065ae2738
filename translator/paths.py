"""Where the app keeps its files: the settings file and the log, for the command line and the window alike."""

from __future__ import annotations

import logging
import os
from pathlib import Path

import platformdirs

CONFIG_ENVIRONMENT = "TRANSLATOR_CONFIG"


def default_config_path() -> Path:
    """The user's settings file: $TRANSLATOR_CONFIG, else settings.toml in the platform's config folder."""
    if os.environ.get(CONFIG_ENVIRONMENT):
        return Path(os.environ[CONFIG_ENVIRONMENT])
    return Path(platformdirs.user_config_dir("translator")) / "settings.toml"


def log_path() -> Path:
    """Where errors are logged in full (created only when something is logged)."""
    return Path(platformdirs.user_log_dir("translator")) / "translator.log"


def configure_logging() -> None:
    """Log warnings and errors to the log file, so a one-line message can point to the details."""
    path = log_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(path, delay=True, encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
