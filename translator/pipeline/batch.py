"""Batch translation of audio files.

Each file streams through four stages, each in its own thread and joined by bounded queues:

    decode + VAD  ->  recognition  ->  translation  ->  synthesis + dub track

so translation and synthesis of early speech overlap recognition of later speech, and memory stays
bounded whatever the file's length. Models are loaded once for the whole batch (`Pipeline`). Progress
and results reach the caller through one event callback; a file that fails is reported and the batch
goes on.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from translator.audio.dubbing import DEFAULT_MAX_SPEEDUP, DubTrack
from translator.audio.files import AUDIO_EXTENSIONS, SAMPLE_RATE, AudioFile, WavTrackWriter
from translator.errors import StageError, TranslatorError, UnsupportedLanguageError
from translator.files import ensure_writable_folder
from translator.languages import Language
from translator.pipeline.outputs import FORMATS, output_paths, write_text_outputs
from translator.pipeline.results import FileResult, Segment, StageTimes
from translator.stages.recognition import RecognizedSegment, SpeechRecognizer
from translator.stages.segmentation import SegmenterSettings, SpeechChunk, SpeechSegmenter, Window, pack_windows
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import TextTranslator

logger = logging.getLogger(__name__)
_QUEUE_WAIT = 0.1  # how often a blocked stage looks up to see whether the file was stopped


@dataclass(frozen=True)
class BatchSettings:
    """What to make of each input.

    target: the language to translate into.
    source: the language spoken, or None to detect it per file.
    output_folder: where outputs go (mirroring the layout of input folders); None puts them beside each input.
    formats: any of txt, srt, vtt, json, wav.
    skip_existing: leave a file alone when all its outputs already exist (resumes an interrupted batch).
    max_speedup: how much faster than its natural pace speech may be made to fit its slot in the track.
    window_seconds: speech per recognition pass; Whisper sees at most 30 s.
    """

    target: Language
    source: Language | None = None
    output_folder: Path | None = None
    formats: frozenset[str] = frozenset(FORMATS)
    skip_existing: bool = False
    max_speedup: float = DEFAULT_MAX_SPEEDUP
    window_seconds: float = 30.0
    segmenter: SegmenterSettings = SegmenterSettings()


@dataclass(frozen=True)
class Pipeline:
    """The loaded stages; the synthesizer is None when no speech track is wanted."""

    recognizer: SpeechRecognizer
    translator: TextTranslator
    synthesizer: SpeechSynthesizer | None = None

    @property
    def demo(self) -> bool:
        parts = (self.recognizer, self.translator, self.synthesizer)
        return any(part is not None and part.is_demo for part in parts)

    def model_names(self) -> dict[str, str]:
        compute = self.recognizer.compute
        names = {
            "recognition": self.recognizer.name,
            "translation": f"{self.translator.name} ({self.translator.family.value})",
            "compute": f"{compute.device} {compute.compute_type}",
        }
        if self.synthesizer is not None:
            names["synthesis"] = self.synthesizer.name
        return names


@dataclass(frozen=True)
class InputFile:
    """A file to translate and the stem its outputs are named after."""

    path: Path
    output_stem: Path


# Events, in the order a file produces them. The GUI bridges these into Qt signals.
@dataclass(frozen=True)
class FileStarted:
    path: Path
    index: int
    total: int
    duration: float


@dataclass(frozen=True)
class FileProgress:
    path: Path
    position: float
    duration: float


@dataclass(frozen=True)
class SegmentReady:
    path: Path
    segment: Segment


@dataclass(frozen=True)
class FileFinished:
    result: FileResult


@dataclass(frozen=True)
class FileSkipped:
    path: Path
    reason: str


@dataclass(frozen=True)
class FileFailed:
    path: Path
    message: str


Event = FileStarted | FileProgress | SegmentReady | FileFinished | FileSkipped | FileFailed
EventCallback = Callable[[Event], None]


@dataclass
class BatchReport:
    finished: list[FileResult] = field(default_factory=list)
    skipped: list[FileSkipped] = field(default_factory=list)
    failed: list[FileFailed] = field(default_factory=list)


def find_inputs(paths: Sequence[Path], output_folder: Path | None) -> tuple[list[InputFile], list[FileFailed]]:
    """Expand folders (recursively, by audio and video extensions) into input files.

    A path that does not exist, or a folder with no audio in it, is returned as a failure so the
    rest of the batch still runs.
    """
    inputs: list[InputFile] = []
    problems: list[FileFailed] = []
    for path in paths:
        if path.is_dir():
            found = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in AUDIO_EXTENSIONS)
            if not found:
                problems.append(FileFailed(path, f"{path}: no audio or video files in this folder"))
            for file in found:
                base = output_folder / path.name / file.relative_to(path).parent if output_folder else file.parent
                inputs.append(InputFile(file, base / file.stem))
        elif path.exists():
            inputs.append(InputFile(path, (output_folder or path.parent) / path.stem))
        else:
            problems.append(FileFailed(path, f"{path}: no such file or folder"))
    return _disambiguate(inputs), problems


def _disambiguate(inputs: list[InputFile]) -> list[InputFile]:
    """Give inputs that would write the same outputs distinct stems: first their full file name
    (talk.mp3, talk.wav), then a number (a/talk.wav and b/talk.wav sent to one folder)."""
    counts: dict[Path, int] = {}
    for item in inputs:
        counts[item.output_stem] = counts.get(item.output_stem, 0) + 1
    taken: set[Path] = set()
    unique = []
    for item in inputs:
        stem = item.output_stem
        if counts[stem] > 1:
            stem = stem.with_name(item.path.name)
            number = 2
            while stem in taken:
                stem = item.output_stem.with_name(f"{item.path.name}-{number}")
                number += 1
        taken.add(stem)
        unique.append(InputFile(item.path, stem))
    return unique


class BatchTranslator:
    """Translates input files one after another with a loaded `Pipeline`."""

    def __init__(
        self, pipeline: Pipeline, settings: BatchSettings, on_event: EventCallback = lambda event: None
    ) -> None:
        pipeline.translator.check_pair(settings.source, settings.target)
        if "wav" in settings.formats and pipeline.synthesizer is None:
            raise TranslatorError("a speech track (wav) needs a voice: pass one, or leave wav out of the formats")
        if pipeline.synthesizer is not None and pipeline.synthesizer.language != settings.target:
            raise UnsupportedLanguageError(
                f"the voice {pipeline.synthesizer.name} speaks {pipeline.synthesizer.language.name}, not "
                f"{settings.target.name}: load a {settings.target.name} voice"
            )
        self.pipeline = pipeline
        self.settings = settings
        self._emit = on_event
        self._cancelled = threading.Event()

    def cancel(self) -> None:
        """Stop the file in progress (its outputs are not written) and skip the rest."""
        self._cancelled.set()

    def run(self, paths: Sequence[Path]) -> BatchReport:
        """Translate every file under `paths`, reporting each through the event callback."""
        if self.settings.output_folder is not None:
            ensure_writable_folder(self.settings.output_folder)
        inputs, problems = find_inputs(paths, self.settings.output_folder)
        report = BatchReport()
        for problem in problems:
            report.failed.append(problem)
            self._emit(problem)
        for index, item in enumerate(inputs):
            if self._cancelled.is_set():
                skipped = FileSkipped(item.path, "cancelled")
                report.skipped.append(skipped)
                self._emit(skipped)
                continue
            paths_out = output_paths(item.output_stem, self.settings.target.code, self.settings.formats)
            if self.settings.skip_existing and all(p.exists() for p in paths_out.values()):
                skipped = FileSkipped(item.path, "its outputs already exist")
                report.skipped.append(skipped)
                self._emit(skipped)
                continue
            try:
                ensure_writable_folder(item.output_stem.parent)
                result = self._translate(item, index, len(inputs), paths_out)
            except Exception as error:
                failed = FileFailed(item.path, _failure_message(item.path, error))
                report.failed.append(failed)
                self._emit(failed)
                continue
            report.finished.append(result)
            self._emit(FileFinished(result))
        return report

    def _translate(self, item: InputFile, index: int, total: int, paths_out: dict[str, Path]) -> FileResult:
        audio = AudioFile(item.path)
        self._emit(FileStarted(item.path, index, total, audio.duration))
        track = None
        if "wav" in paths_out and self.pipeline.synthesizer is not None:
            writer = WavTrackWriter(paths_out["wav"], self.pipeline.synthesizer.sample_rate)
            track = DubTrack(writer, self.settings.max_speedup)
        job = _FileJob(self.pipeline, self.settings, audio, track, self._emit, self._cancelled)
        result = replace(job.run(), outputs=tuple(paths_out.values()))
        write_text_outputs(result, paths_out)
        return result


def _failure_message(path: Path, error: Exception) -> str:
    """One line for a file that failed; a bug is logged in full but never stops the batch."""
    if isinstance(error, TranslatorError):
        return str(error)
    if isinstance(error, OSError):  # writing outputs: a full disk, a folder removed under us
        return f"{path}: cannot write its outputs ({error}); free some space or choose another --out"
    logger.exception("translating %s failed", path)
    return f"{path}: internal error ({type(error).__name__}: {error}); please report it"


_END = object()


class _FileJob:
    """One file through the four stage threads. The first stage to fail stops the others; the
    error names it and the file's outputs are not written."""

    def __init__(
        self,
        pipeline: Pipeline,
        settings: BatchSettings,
        audio: AudioFile,
        track: DubTrack | None,
        emit: EventCallback,
        cancelled: threading.Event,
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.audio = audio
        self.track = track
        self.emit = emit
        self.cancelled = cancelled
        self.stop = threading.Event()
        self.error: TranslatorError | None = None
        self.busy = {"decoding": 0.0, "recognition": 0.0, "translation": 0.0, "synthesis": 0.0}
        self.decoded_samples = 0
        self.language: Language | None = settings.source
        self.language_probability: float | None = None
        self.segments: list[Segment] = []
        self.windows: queue.Queue[Any] = queue.Queue(maxsize=2)
        self.recognized: queue.Queue[Any] = queue.Queue(maxsize=64)
        self.translated: queue.Queue[Any] = queue.Queue(maxsize=64)

    def run(self) -> FileResult:
        started = time.perf_counter()
        stages = [
            ("decoding", self._read),
            ("recognition", self._recognize),
            ("translation", self._translate),
            ("synthesis", self._synthesize),
        ]
        threads = [threading.Thread(target=self._guard, args=stage, name=stage[0], daemon=True) for stage in stages]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                while thread.is_alive():
                    thread.join(_QUEUE_WAIT)
                    if self.cancelled.is_set():
                        self._abandon(f"{self.audio.path}: cancelled")
        except BaseException:  # Ctrl+C in the caller's thread: stop the stages before leaving
            self._abandon(f"{self.audio.path}: interrupted")
            for thread in threads:
                thread.join(1.0)
            if self.track is not None:
                self.track.abort()
            raise
        if self.error is not None:
            if self.track is not None:
                self.track.abort()
            raise self.error
        duration = self.decoded_samples / SAMPLE_RATE
        times = StageTimes(**self.busy, wall=time.perf_counter() - started)
        assert self.language is not None  # set by recognition, which only finishes cleanly once it is known
        return FileResult(
            source=self.audio.path,
            duration=duration,
            source_language=self.language.code,
            language_probability=self.language_probability,
            target_language=self.settings.target.code,
            segments=tuple(self.segments),
            models=self.pipeline.model_names(),
            times=times,
            demo=self.pipeline.demo,
        )

    def _guard(self, stage: str, work: Callable[[], None]) -> None:
        try:
            work()
        except Exception as error:  # every failure becomes the file's error, named after its stage
            self._fail(stage, error)

    def _fail(self, stage: str, error: BaseException) -> None:
        self._abandon(StageError(stage, error))

    def _abandon(self, error: TranslatorError | str) -> None:
        """Stop every stage; the first reason given is the file's error."""
        if self.error is None:
            self.error = error if isinstance(error, TranslatorError) else TranslatorError(error)
        self.stop.set()

    def _put(self, target: queue.Queue[Any], item: object) -> None:
        while not self.stop.is_set():
            try:
                target.put(item, timeout=_QUEUE_WAIT)
                return
            except queue.Full:
                continue

    def _get(self, source: queue.Queue[Any]) -> Any:
        while not self.stop.is_set():
            try:
                return source.get(timeout=_QUEUE_WAIT)
            except queue.Empty:
                continue
        return _END

    def _speech_chunks(self) -> Iterator[SpeechChunk]:
        segmenter = SpeechSegmenter(self.settings.segmenter)
        clock = time.perf_counter()
        for block in self.audio.blocks():
            self.decoded_samples += len(block)
            chunks = list(segmenter.push(block))
            self.busy["decoding"] += time.perf_counter() - clock
            yield from chunks
            clock = time.perf_counter()
        yield from segmenter.flush()

    def _read(self) -> None:
        for window in pack_windows(self._speech_chunks(), self.settings.window_seconds):
            if self.stop.is_set():
                return
            self._put(self.windows, window)
        self._put(self.windows, _END)

    def _recognize(self) -> None:
        recognizer = self.pipeline.recognizer
        previous_text = ""
        index = 0
        while (window := self._get(self.windows)) is not _END:
            clock = time.perf_counter()
            if self.language is None:
                self._detect_language(window)
            assert self.language is not None
            for recognized in recognizer.transcribe(window, self.language, previous_text):
                self.busy["recognition"] += time.perf_counter() - clock
                self._put(self.recognized, (index, recognized))
                previous_text = f"{previous_text} {recognized.text}"[-1000:]
                index += 1
                clock = time.perf_counter()
            self.busy["recognition"] += time.perf_counter() - clock
            self.emit(FileProgress(self.audio.path, window.source_end, self.audio.duration))
        if self.language is None:  # no speech at all: nothing to detect, so report the requested language
            self.language = self.settings.source or self.settings.target
        self._put(self.recognized, _END)

    def _detect_language(self, window: Window) -> None:
        guess = self.pipeline.recognizer.detect_language(window)
        self.pipeline.translator.check_pair(guess.language, self.settings.target)
        self.language, self.language_probability = guess.language, guess.probability

    def _translate(self) -> None:
        translator = self.pipeline.translator
        batch_limit = translator.settings.max_batch_size
        finished = False
        while not finished:
            first = self._get(self.recognized)
            if first is _END:
                break
            batch: list[tuple[int, RecognizedSegment]] = [first]
            # Whatever recognition has already queued is translated in the same call.
            while len(batch) < batch_limit:
                try:
                    item = self.recognized.get_nowait()
                except queue.Empty:
                    break
                if item is _END:
                    finished = True
                    break
                batch.append(item)
            clock = time.perf_counter()
            assert self.language is not None
            texts = translator.translate([r.text for _, r in batch], self.language, self.settings.target)
            self.busy["translation"] += time.perf_counter() - clock
            for (index, recognized), text in zip(batch, texts):
                segment = Segment(
                    index,
                    recognized.start,
                    recognized.end,
                    recognized.text,
                    text,
                    recognized.avg_logprob,
                    recognized.no_speech_prob,
                )
                self._put(self.translated, segment)
        self._put(self.translated, _END)

    def _synthesize(self) -> None:
        pending: Segment | None = None
        while (segment := self._get(self.translated)) is not _END:
            if pending is not None:
                self._place(pending, slot_end=segment.start)
            pending = segment
        if self.stop.is_set():
            return
        duration = self.decoded_samples / SAMPLE_RATE
        if pending is not None:
            self._place(pending, slot_end=duration)
        if self.track is not None:
            self.track.finish(duration)

    def _place(self, segment: Segment, slot_end: float) -> None:
        synthesizer = self.pipeline.synthesizer
        if self.track is not None and synthesizer is not None:
            clock = time.perf_counter()
            placement = self.track.place(segment.start, slot_end, lambda speed: synthesizer.speak(segment.text, speed))
            self.busy["synthesis"] += time.perf_counter() - clock
            segment = replace(segment, dub_start=placement.start, dub_speed=placement.speed)
        self.segments.append(segment)
        self.emit(SegmentReady(self.audio.path, segment))
