"""The launchers: `translator gui` and `translator-gui`, as a user starts them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def _run(arguments: list[str], environment: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(Path(sys.executable).with_name("translator")), *arguments],  # the installed command
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_window_opens_and_closes_offscreen(demo_folder: Path, tmp_path: Path) -> None:
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    settings = tmp_path / "gui.ini"
    result = _run(
        ["gui", "--check", "--settings", str(settings), "--config", str(demo_folder / "demo.toml")], environment
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "whisper-demo" in settings.read_text()  # the settings file's models were taken and remembered


def test_without_a_display_it_says_so_in_one_line(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    result = _run(["gui", "--settings", str(tmp_path / "gui.ini")], environment)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        "translator: error: no display: start the app from a desktop session (DISPLAY and WAYLAND_DISPLAY are unset)"
    ]


def test_a_broken_settings_file_opens_the_window_with_the_message(tmp_path: Path) -> None:
    broken = tmp_path / "config.toml"
    broken.write_text("[models\n")
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = _run(["gui", "--check", "--settings", str(tmp_path / "gui.ini"), "--config", str(broken)], environment)
    assert result.returncode == 0, result.stderr


def test_a_models_variable_naming_a_file_is_one_line_not_a_window(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "models.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    environment = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "TRANSLATOR_MODELS_DIR": str(not_a_folder)}
    result = _run(["gui", "--check", "--settings", str(tmp_path / "gui.ini")], environment)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"translator: error: TRANSLATOR_MODELS_DIR: {not_a_folder} is a file, not a folder: name a folder for the "
        "models (it is made when first needed), or unset it"
    ]
