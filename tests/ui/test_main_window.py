"""Whole-window qualities: accessible names, the theme's palette, and a size that fits a small screen."""

from __future__ import annotations

import numpy as np
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QComboBox,
    QLabel,
    QLineEdit,
    QMenuBar,
    QTabBar,
    QTableView,
    QWidget,
)

from ui.main_window import MainWindow


def _name(widget: QWidget) -> str:
    """What a screen reader announces: the accessible name, a button's text, or a form label naming it."""
    if widget.accessibleName():
        return widget.accessibleName()
    if isinstance(widget, QAbstractButton) and widget.text().strip("…⇄↻✕ "):
        return widget.text()
    labels = [label for label in widget.window().findChildren(QLabel) if label.buddy() is widget]
    return labels[0].text() if labels else ""


def test_every_control_has_a_name(window: MainWindow) -> None:
    controls = [
        widget
        for kind in (QAbstractButton, QComboBox, QLineEdit, QAbstractSpinBox)
        for widget in window.findChildren(kind)
        if not (isinstance(widget, QLineEdit) and isinstance(widget.parent(), (QComboBox, QAbstractSpinBox)))
        # Qt's own inner buttons: the tab bar's scroll arrows, a table's corner, the menu bar's overflow.
        and not isinstance(widget.parent(), (QTabBar, QTableView, QMenuBar))
    ]
    assert len(controls) > 30
    unnamed = [
        f"{type(widget).__name__} in {type(widget.parent()).__name__}" for widget in controls if not _name(widget)
    ]
    assert not unnamed


def test_the_window_follows_a_dark_palette(qtbot, window: MainWindow) -> None:
    dark = QPalette()
    for role, color in ((QPalette.ColorRole.Window, "#202124"), (QPalette.ColorRole.WindowText, "#e8eaed"),
                        (QPalette.ColorRole.Base, "#171717"), (QPalette.ColorRole.Text, "#e8eaed")):  # fmt: skip
        dark.setColor(role, QColor(color))
    window.setPalette(dark)
    qtbot.wait(50)
    image = window.live_view.latency.grab().toImage()
    lightness = np.array([image.pixelColor(x, y).lightness() for x in range(0, image.width(), 8)
                          for y in range(0, image.height(), 8)])  # fmt: skip
    assert np.median(lightness) < 80  # the panel is painted in the theme's colours, not a fixed light one


def test_the_window_fits_1280_by_720(window: MainWindow) -> None:
    hint = window.minimumSizeHint()
    assert hint.width() <= 1280 and hint.height() <= 720
