"""The captions window: the live session's translation in large text, in a window of its own that stays on top.

It can sit on a second screen in front of an audience, or be captured by OBS as a window source. Each
utterance's words show in grey italics while they are recognised, then give way to the translation (with the
spoken line above it, if chosen); older captions scroll off the top. Right-click for its options.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace

from PySide6.QtCore import QRectF, Qt
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QColor,
    QContextMenuEvent,
    QHideEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QShortcut,
    QShowEvent,
    QTextDocument,
    QTextOption,
    QWheelEvent,
)
from PySide6.QtWidgets import (
    QLabel,
    QMenu,
    QSizeGrip,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from ui.bridge import CoreBridge
from ui.settings import SettingsStore

MIN_FONT_SIZE, MAX_FONT_SIZE, FONT_STEP = 12, 144, 4
TITLE = "Captions"
DEMO_NOTICE = "Demo models: the translation is a placeholder sentence"
_SOURCE_SCALE = 0.6  # the spoken line, and words still forming, beside the translation's size
_KEPT = 4  # captions kept: more than a window shows at a readable size (older ones scroll off the top)
_FORMING = "#8c8c8c"  # words still being recognised: grey that reads on black and on white alike
# Background, translation, spoken line.
_THEMES = {True: ("#000000", "#ffffff", "#c8c8c8"), False: ("#ffffff", "#000000", "#505050")}
_OUTLINE = "#000000"
_OUTLINE_OFFSETS = [(dx, dy) for dx in (-2, 0, 2) for dy in (-2, 0, 2) if dx or dy]


@dataclass(frozen=True)
class CaptionsOptions:
    """How the captions look.

    font_size: the translation's size in points (the spoken line is 60% of it).
    show_source: the spoken line above its translation.
    dark: light text on black; False: black on white.
    transparent: no background and no frame: the captions float over what is behind them (on a desktop
        that composites windows).
    """

    font_size: int = 36
    show_source: bool = True
    dark: bool = True
    transparent: bool = False

    @classmethod
    def load(cls, settings: SettingsStore) -> CaptionsOptions:
        default = cls()
        return cls(
            font_size=min(max(settings.get("captions/font_size", default.font_size), MIN_FONT_SIZE), MAX_FONT_SIZE),
            show_source=settings.get("captions/show_source", default.show_source),
            dark=settings.get("captions/dark", default.dark),
            transparent=settings.get("captions/transparent", default.transparent),
        )

    def save(self, settings: SettingsStore) -> None:
        settings.set("captions/font_size", self.font_size)
        settings.set("captions/show_source", self.show_source)
        settings.set("captions/dark", self.dark)
        settings.set("captions/transparent", self.transparent)


@dataclass(frozen=True)
class Caption:
    """One utterance as the captions show it.

    source: the words recognised so far, or once `final`, the recogniser's final text.
    translation: empty until it is ready.
    """

    utterance: int
    source: str
    final: bool = False
    translation: str = ""


def captions_html(captions: Iterable[Caption], options: CaptionsOptions, outline: bool = False) -> str:
    """The captions as rich text, oldest first: for each, the spoken line (if shown) and its translation, or
    while there is no translation yet, the words heard so far in grey italics. `outline`: the same text all
    in black, drawn around the letters where there is no background."""
    _, translation_colour, spoken_colour = _THEMES[options.dark]
    forming = _FORMING
    if outline:
        translation_colour = spoken_colour = forming = _OUTLINE
    small = round(options.font_size * _SOURCE_SCALE)
    blocks: list[str] = []
    for caption in captions:
        if caption.final and options.show_source:
            blocks.append(_paragraph(caption.source, small, spoken_colour))
        if caption.translation:
            blocks.append(_paragraph(caption.translation, options.font_size, translation_colour))
        elif caption.source and not (caption.final and options.show_source):
            blocks.append(_paragraph(caption.source, small, forming, italic=True))
    return "".join(blocks)


def _paragraph(text: str, size: int, colour: str, italic: bool = False) -> str:
    style = f"margin:0px 0px {size // 3}px 0px; font-size:{size}pt; color:{colour};"
    if italic:
        style += " font-style:italic;"
    return f'<p style="{style}">{html.escape(text)}</p>'


class CaptionText(QWidget):
    """Rich text laid out to the widget's width and aligned to its bottom, so the newest line always shows."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.document = QTextDocument(self)
        option = QTextOption(Qt.AlignmentFlag.AlignHCenter)
        option.setWrapMode(QTextOption.WrapMode.WordWrap)
        self.document.setDefaultTextOption(option)
        self.document.setDocumentMargin(0)
        self.outline = QTextDocument(self)  # the same text in black, or empty: drawn around the letters first
        self.outline.setDefaultTextOption(option)
        self.outline.setDocumentMargin(0)
        # Any size: the window's size is the user's, the text never pushes it.
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Ignored)

    def set_html(self, text: str, outline: str = "") -> None:
        self.document.setHtml(text)
        self.outline.setHtml(outline)
        self.setAccessibleDescription(self.document.toPlainText())
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:
        document = self.document
        document.setTextWidth(self.width())
        height = document.size().height()
        # Too tall: start at the first paragraph that fits whole, so no line shows cut in half at the top.
        top, block = 0.0, document.begin()
        while height - top > self.height() and block.next().isValid():
            block = block.next()
            top = document.documentLayout().blockBoundingRect(block).top()
        shown = QRectF(0, top, self.width(), height - top)
        painter = QPainter(self)
        painter.translate(0, self.height() - height)
        if not self.outline.isEmpty():
            self.outline.setTextWidth(self.width())
            for dx, dy in _OUTLINE_OFFSETS:
                painter.translate(dx, dy)
                self.outline.drawContents(painter, shown)
                painter.translate(-dx, -dy)
        document.drawContents(painter, shown)


class CaptionsWindow(QWidget):
    """Large captions of the live session, always on top; its options and place are remembered."""

    def __init__(self, settings: SettingsStore) -> None:
        super().__init__(None, _window_flags(frameless=False))
        self._settings = settings
        self._captions: dict[int, Caption] = {}  # in the order the utterances began
        self._placed = False  # shown at least once: until then its geometry is no place worth remembering
        self.setWindowTitle(TITLE)
        self.setAccessibleName("Captions window")
        self.setAttribute(Qt.WidgetAttribute.WA_QuitOnClose, False)  # closing the main window still quits
        self.text = CaptionText()
        self.text.setAccessibleName("Captions")
        self._grip = QSizeGrip(self)  # without a frame, the corner is where the window is resized
        # In the picture itself, not only the title: a stream or a screenshot shows no title bar.
        self.demo_notice = QLabel(DEMO_NOTICE)
        self.demo_notice.setStyleSheet(f"color: {_FORMING};")
        self.demo_notice.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 8, 16, 12)
        layout.addWidget(self.demo_notice)
        layout.addWidget(self.text, 1)
        layout.addWidget(self._grip, 0, Qt.AlignmentFlag.AlignRight)

        self.menu = QMenu(self)
        self.larger = self.menu.addAction("Larger text (Ctrl++ or Ctrl+wheel)", lambda: self.change_font_size(1))
        self.smaller = self.menu.addAction("Smaller text (Ctrl+-)", lambda: self.change_font_size(-1))
        self.menu.addSeparator()
        self.show_source = self._option("Show the spoken line above", lambda now, on: replace(now, show_source=on))
        self.dark = self._option("Dark (light text on black)", lambda now, on: replace(now, dark=on))
        self.transparent = self._option(
            "Transparent background, no frame", lambda now, on: replace(now, transparent=on)
        )
        self.menu.addSeparator()
        self.menu.addAction("Close (Esc)", self.close)
        for keys, step in (("Ctrl++", 1), ("Ctrl+=", 1), ("+", 1), ("Ctrl+-", -1), ("-", -1)):
            QShortcut(QKeySequence(keys), self, lambda step=step: self.change_font_size(step))
        QShortcut(QKeySequence("Escape"), self, self.close)

        self.options = CaptionsOptions()
        self.set_options(CaptionsOptions.load(settings))
        geometry = settings.get_bytes("captions/geometry")  # its screen too: it reopens where it was left
        if geometry is None or not self.restoreGeometry(geometry):
            self.resize(960, 240)

    def _option(self, text: str, change: Callable[[CaptionsOptions, bool], CaptionsOptions]) -> QAction:
        action = self.menu.addAction(text)
        action.setCheckable(True)
        action.triggered.connect(lambda on: self.set_options(change(self.options, on)))
        return action

    def follow(self, bridge: CoreBridge) -> None:
        """Show the live session's captions as the bridge reports them."""
        bridge.live_started.connect(lambda source, sink: self.clear())
        bridge.interim_text.connect(self.show_interim)
        bridge.final_text.connect(self.show_final)
        bridge.translation_ready.connect(self.show_translation)

    def show_interim(self, utterance: int, committed: str, tentative: str) -> None:
        current = self._captions.get(utterance)
        words = " ".join(part for part in (committed, tentative) if part)
        if (current is not None and current.final) or not words:  # a late guess never replaces the final text
            return
        self._captions[utterance] = Caption(utterance, words)
        self._render()

    def show_final(self, utterance: int, text: str, language: str, merged: tuple[int, ...]) -> None:
        for other in merged:  # recognised together: their captions become this one
            if other != utterance:
                self._captions.pop(other, None)
        previous = self._captions.get(utterance)
        self._captions[utterance] = Caption(utterance, text, True, previous.translation if previous else "")
        self._render()

    def show_translation(self, utterance: int, text: str) -> None:
        previous = self._captions.get(utterance)
        self._captions[utterance] = Caption(utterance, previous.source if previous else "", True, text)
        self._render()

    def clear(self) -> None:
        self._captions.clear()
        self._render()

    def captions(self) -> tuple[Caption, ...]:
        return tuple(self._captions.values())

    def plain_text(self) -> str:
        """What the window shows, as text (also its accessible description)."""
        return self.text.document.toPlainText()

    def set_demo(self, demo: bool) -> None:
        """Say in the title and above the captions that the translations are the demo models' placeholder."""
        self.setWindowTitle(f"{TITLE} (demo models: placeholder translation)" if demo else TITLE)
        self.demo_notice.setVisible(demo)

    def change_font_size(self, steps: int) -> None:
        size = self.options.font_size + steps * FONT_STEP
        self.set_options(replace(self.options, font_size=min(max(size, MIN_FONT_SIZE), MAX_FONT_SIZE)))

    def set_options(self, options: CaptionsOptions) -> None:
        """Apply how the captions look; they are saved with the window's settings."""
        frameless = bool(self.windowFlags() & Qt.WindowType.FramelessWindowHint)
        if options.transparent != frameless:
            visible, geometry = self.isVisible(), self.saveGeometry()
            # A translucent window needs a native window made for it: changing the flags makes a new one.
            self.setAttribute(Qt.WidgetAttribute.WA_TranslucentBackground, options.transparent)
            self.setWindowFlags(_window_flags(frameless=options.transparent))
            self.restoreGeometry(geometry)
            if visible:
                self.show()
        self.options = options
        self._grip.setVisible(options.transparent)  # a frame has edges of its own
        self.show_source.setChecked(options.show_source)
        self.dark.setChecked(options.dark)
        self.transparent.setChecked(options.transparent)
        self.larger.setEnabled(options.font_size < MAX_FONT_SIZE)
        self.smaller.setEnabled(options.font_size > MIN_FONT_SIZE)
        self._render()
        self.update()

    def save_settings(self) -> None:
        self.options.save(self._settings)
        if self._placed:
            self._settings.set_bytes("captions/geometry", self.saveGeometry())

    def _render(self) -> None:
        while len(self._captions) > _KEPT:
            del self._captions[next(iter(self._captions))]
        captions, options = self._captions.values(), self.options
        # Without a background the text needs an outline of its own to read over whatever is behind it.
        outline = captions_html(captions, options, outline=True) if options.transparent else ""
        self.text.set_html(captions_html(captions, options), outline)

    def paintEvent(self, event: QPaintEvent) -> None:
        if not self.options.transparent:
            QPainter(self).fillRect(self.rect(), QColor(_THEMES[self.options.dark][0]))

    def wheelEvent(self, event: QWheelEvent) -> None:
        if event.modifiers() & Qt.KeyboardModifier.ControlModifier and event.angleDelta().y():
            self.change_font_size(1 if event.angleDelta().y() > 0 else -1)
            event.accept()
        else:
            event.ignore()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        # Dragging anywhere moves the window: without a frame there is no title bar to drag.
        handle = self.windowHandle()
        if event.button() == Qt.MouseButton.LeftButton and handle is not None:
            handle.startSystemMove()
            event.accept()
        else:
            super().mousePressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        self.menu.exec(event.globalPos())

    def showEvent(self, event: QShowEvent) -> None:
        self._placed = True
        super().showEvent(event)

    def hideEvent(self, event: QHideEvent) -> None:
        self.save_settings()
        super().hideEvent(event)

    def closeEvent(self, event: QCloseEvent) -> None:
        self.save_settings()
        event.accept()


def _window_flags(frameless: bool) -> Qt.WindowType:
    flags = Qt.WindowType.Window | Qt.WindowType.WindowStaysOnTopHint
    return flags | Qt.WindowType.FramelessWindowHint if frameless else flags
