"""Translated speech played in the app itself: for a finished file's speech track where nothing on the
computer opens audio files, or simply to hear it without leaving the window."""

from __future__ import annotations

import threading
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from translator.audio.files import SAMPLE_RATE, read_audio, read_span
from translator.audio.playback import SpeakerSink
from translator.audio.schedule import PlaybackMark
from ui.bridge import Background

_DEVICE_GRACE_SECONDS = 10.0  # how much longer than the track a silent device may take before playing ends


class ResultPlayer(QObject):
    """Plays one audio file at a time on a speaker, off the GUI thread.

    playing(path or None): what is playing now (None once it ended, was stopped or failed);
    failed(message): it could not play, and why.
    """

    playing = Signal(object)
    failed = Signal(str)

    def __init__(self, background: Background, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._background = background
        self._stop = threading.Event()
        self.current: Path | None = None

    def play(self, path: Path, device: str | None = None, span: tuple[float, float] | None = None) -> None:
        """Play `path` (only the stretch `span`, start and end in seconds, when given) on `device` (None: the
        system default), stopping what played before."""
        self.stop()
        stop = self._stop = threading.Event()
        self.current = path
        self.playing.emit(path)
        self._background.run("play", lambda: _play(path, device, stop, span), lambda _: self._ended(path), self._failed)

    def stop(self) -> None:
        """Stop playing; the worker closes the device within a moment."""
        self._stop.set()

    def _ended(self, path: Path) -> None:
        if self.current == path:
            self.current = None
            self.playing.emit(None)

    def _failed(self, message: str) -> None:
        self.current = None
        self.playing.emit(None)
        self.failed.emit(message)


def _play(path: Path, device: str | None, stop: threading.Event, span: tuple[float, float] | None) -> None:
    """The worker's part: play the file (or its `span`) unless `stop` is set first."""
    samples = read_audio(path) if span is None else read_span(path, *span)
    sink = SpeakerSink(device)

    def heard(mark: PlaybackMark) -> None:
        if mark.kind == "finished":
            stop.set()

    sink.add_mark_listener(heard)
    sink.start()
    try:
        sink.play(0, samples, SAMPLE_RATE)
        sink.finish_utterance(0)
        stop.wait(len(samples) / SAMPLE_RATE + _DEVICE_GRACE_SECONDS)
    finally:
        sink.stop()
