"""Batch translation of audio files.

Each file streams through four stages, each in its own thread (`workers.Workers`) and joined by bounded
queues:

    decode + VAD  ->  recognition  ->  translation  ->  synthesis + dub track

so translation and synthesis of early speech overlap recognition of later speech, and memory stays
bounded whatever the file's length. Models are loaded once for the whole batch (`Pipeline`). Progress
and results reach the caller through one event callback (`batch_events`); a file that fails is reported
and the batch goes on.
"""

from __future__ import annotations

import errno
import itertools
import logging
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from translator.audio.dubbing import DEFAULT_MAX_SPEEDUP, DubTrack
from translator.audio.files import SAMPLE_RATE, AudioFile, WavTrackWriter
from translator.audio.mixing import MixSettings
from translator.errors import StageError, TranslatorError, UnsupportedLanguageError
from translator.files import Removed, ensure_writable_folder, remove_stale_temporaries
from translator.languages import Language
from translator.pipeline.batch_events import (
    EventCallback,
    FileFailed,
    FileFinished,
    FileProgress,
    FileSkipped,
    FileStarted,
    SegmentReady,
)
from translator.pipeline.batch_media import DubbedMedia
from translator.pipeline.inputs import InputFile, find_inputs
from translator.pipeline.output_set import OutputSet
from translator.pipeline.outputs import DEFAULT_FORMATS, output_paths, write_text_outputs
from translator.pipeline.results import FileResult, Segment, StageTimes
from translator.pipeline.workers import END, StageQueue, Workers
from translator.stages.recognition import RecognizedSegment, SpeechRecognizer
from translator.stages.segmentation import SegmenterSettings, SpeechChunk, SpeechSegmenter, Window, pack_windows
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import TextTranslator

logger = logging.getLogger(__name__)
# The caller's thread waits for a file in slices this long: a lock wait cannot be interrupted on
# Windows, and Ctrl+C must still reach it.
_INTERRUPTIBLE_WAIT = 0.25


@dataclass(frozen=True)
class BatchSettings:
    """What to make of each input.

    target: the language to translate into.
    source: the language spoken, or None to detect it per window of speech (`SpeechRecognizer.language_parts`):
      each part is translated from its own language, a part already in the target kept as it is.
    output_folder: where outputs go (mirroring the layout of input folders); None puts them beside each input.
    formats: any of txt, srt, vtt, json, wav, video (the dubbed recording: `translator.audio.video`).
    skip_existing: leave a file alone when all its outputs already exist (resumes an interrupted batch).
    max_speedup: how much faster than its natural pace speech may be made to fit its slot in the track.
    window_seconds: speech per recognition pass; Whisper sees at most 30 s.
    mix: how the dubbed recording's main audio track is made (the speech alone, or a voice-over).
    """

    target: Language
    source: Language | None = None
    output_folder: Path | None = None
    formats: frozenset[str] = frozenset(DEFAULT_FORMATS)
    skip_existing: bool = False
    max_speedup: float = DEFAULT_MAX_SPEEDUP
    window_seconds: float = 30.0
    segmenter: SegmenterSettings = SegmenterSettings()
    mix: MixSettings = MixSettings()


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


@dataclass
class BatchReport:
    finished: list[FileResult] = field(default_factory=list)
    skipped: list[FileSkipped] = field(default_factory=list)
    failed: list[FileFailed] = field(default_factory=list)
    stale_removed: Removed = Removed()  # temporaries that interrupted runs had left in the output folders


class BatchTranslator:
    """Translates input files one after another with a loaded `Pipeline`."""

    def __init__(
        self, pipeline: Pipeline, settings: BatchSettings, on_event: EventCallback = lambda event: None
    ) -> None:
        pipeline.translator.check_pair(settings.source, settings.target)
        if "wav" in settings.formats and pipeline.synthesizer is None:
            raise TranslatorError("a speech track (wav) needs a voice: pass one, or leave wav out of the formats")
        if "video" in settings.formats and pipeline.synthesizer is None:
            raise TranslatorError("a dubbed video (video) needs a voice: pass one, or leave video out of the formats")
        if pipeline.synthesizer is not None and pipeline.synthesizer.language != settings.target:
            raise UnsupportedLanguageError(
                f"the voice {pipeline.synthesizer.name} speaks {pipeline.synthesizer.language.name}, not "
                f"{settings.target.name}: load a {settings.target.name} voice"
            )
        self.pipeline = pipeline
        self.settings = settings
        self._emit = on_event
        self._cancelled = threading.Event()
        self._job: _FileJob | None = None
        self._media = DubbedMedia(settings.formats, settings.target.code, settings.mix)

    def cancel(self) -> None:
        """Stop the file in progress (its outputs are not written) and skip the rest."""
        self._cancelled.set()
        job = self._job
        if job is not None:
            job.cancel()

    def run(self, paths: Sequence[Path]) -> BatchReport:
        """Translate every file under `paths`, reporting each through the event callback."""
        if self.settings.output_folder is not None:
            ensure_writable_folder(self.settings.output_folder)
        inputs, problems = find_inputs(paths, self.settings.output_folder)
        report = BatchReport()
        for folder in dict.fromkeys(item.output_stem.parent for item in inputs):  # each folder once
            report.stale_removed += remove_stale_temporaries(folder)
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
            paths_out |= self._media.paths(item.path, item.output_stem)
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
        # Every output goes to a temporary and all move into place together, or none does (on an error or Ctrl+C).
        with OutputSet(paths_out, item.output_stem) as outputs:
            self._emit(FileStarted(item.path, index, total, audio.duration))
            track = None
            dub_track = self._media.dub_track(outputs)
            if dub_track is not None and self.pipeline.synthesizer is not None:
                writer = WavTrackWriter(dub_track, self.pipeline.synthesizer.sample_rate)
                track = DubTrack(writer, self.settings.max_speedup)
            self._job = _FileJob(self.pipeline, self.settings, audio, track, self._emit)
            try:
                # cancel() sets the flag before it looks for the job: one of the two sees the other.
                if self._cancelled.is_set():
                    self._job.cancel()
                result = replace(self._job.run(), outputs=tuple(paths_out.values()))
            finally:
                self._job = None
            result = self._media.write(result, item.output_stem, outputs, self._cancelled)
            write_text_outputs(result, outputs)
            outputs.commit()
        return result


def _failure_message(path: Path, error: Exception) -> str:
    """One line for a file that failed; a bug is logged in full but never stops the batch."""
    # The speech track is written while it is made: a full disk then fails the synthesis stage.
    written = error.__cause__ if isinstance(error, StageError) and error.stage == "synthesis" else error
    if isinstance(written, OSError):  # writing outputs: a full disk, a folder removed under us
        advice = "free some space or " if written.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG) else ""
        return f"{path}: cannot write its outputs ({written.strerror or written}); {advice}choose another output folder"
    if isinstance(error, TranslatorError):
        return str(error)
    logger.exception("translating %s failed", path)
    return f"{path}: internal error ({type(error).__name__}: {error}); please report it"


@dataclass
class _BusyTimes:
    """Seconds each stage has been busy on the file so far; each field is written by its own stage's thread."""

    decoding: float = 0.0
    recognition: float = 0.0
    translation: float = 0.0
    synthesis: float = 0.0

    def stage_times(self, wall: float) -> StageTimes:
        return StageTimes(self.decoding, self.recognition, self.translation, self.synthesis, wall)


@dataclass(frozen=True)
class _Recognized:
    """A recognised segment on its way to translation, numbered in the file's order, with its language."""

    index: int
    segment: RecognizedSegment
    language: Language


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
    ) -> None:
        self.pipeline = pipeline
        self.settings = settings
        self.audio = audio
        self.track = track
        self.emit = emit
        self.workers = Workers("batch", subject=str(audio.path))
        self.busy = _BusyTimes()
        self.decoded_samples = 0
        self.language: Language | None = settings.source
        self.language_probability: float | None = None
        self.segments: list[Segment] = []
        self.windows: StageQueue[Window] = self.workers.queue(2)
        self.recognized: StageQueue[_Recognized] = self.workers.queue(64)
        self.translated: StageQueue[Segment] = self.workers.queue(64)

    def cancel(self) -> None:
        """Stop the stages; the file fails as cancelled."""
        self.workers.abort(TranslatorError(f"{self.audio.path}: cancelled"))

    def run(self) -> FileResult:
        started = time.perf_counter()
        try:  # the stages start inside: Ctrl+C while they start stops them too, so none outlives the file
            self.workers.start(
                [
                    ("decoding", self._read),
                    ("recognition", self._recognize),
                    ("translation", self._translate),
                    ("synthesis", self._synthesize),
                ]
            )
            while not self.workers.wait(_INTERRUPTIBLE_WAIT):
                pass
        except BaseException:  # Ctrl+C in the caller's thread: stop the stages before leaving
            self.workers.abort(TranslatorError(f"{self.audio.path}: interrupted"))
            self.workers.stop(timeout=4.0)
            if self.track is not None:
                self.track.abort()
            raise
        if self.workers.error is not None:
            if self.track is not None:
                self.track.abort()
            raise self.workers.error
        assert self.language is not None  # set by recognition, which only finishes cleanly once it is known
        return FileResult(
            source=self.audio.path,
            duration=self.decoded_samples / SAMPLE_RATE,
            source_language=self.language.code,
            language_probability=self.language_probability,
            target_language=self.settings.target.code,
            segments=tuple(self.segments),
            models=self.pipeline.model_names(),
            times=self.busy.stage_times(wall=time.perf_counter() - started),
            demo=self.pipeline.demo,
            warnings=tuple(self.audio.warnings),
        )

    def _speech_chunks(self) -> Iterator[SpeechChunk]:
        segmenter = SpeechSegmenter(self.settings.segmenter)
        clock = time.perf_counter()
        for block in self.audio.blocks():
            self.decoded_samples += len(block)
            chunks = list(segmenter.push(block))
            self.busy.decoding += time.perf_counter() - clock
            yield from chunks
            clock = time.perf_counter()
        yield from segmenter.flush()

    def _read(self) -> None:
        for window in pack_windows(self._speech_chunks(), self.settings.window_seconds):
            if not self.windows.put(window):
                return
        self.windows.put(END)

    def _recognize(self) -> None:
        recognizer = self.pipeline.recognizer
        previous_text = ""
        spoken: Language | None = None  # the language of the latest part
        index = 0
        while (window := self.windows.get()) is not END:
            clock = time.perf_counter()
            for part in recognizer.language_parts(window, spoken, fixed=self.settings.source):
                if part.language != spoken:  # earlier text in another language would mislead Whisper
                    self.pipeline.translator.check_pair(part.language, self.settings.target)
                    previous_text, spoken = "", part.language
                if self.language is None:  # the file's language: the first one heard
                    self.language, self.language_probability = part.language, part.probability
                for recognized in recognizer.transcribe(part.window, part.language, previous_text):
                    self.busy.recognition += time.perf_counter() - clock
                    self.recognized.put(_Recognized(index, recognized, part.language))
                    previous_text = f"{previous_text} {recognized.text}"[-1000:]
                    index += 1
                    clock = time.perf_counter()
            self.busy.recognition += time.perf_counter() - clock
            self.emit(FileProgress(self.audio.path, window.source_end, self.audio.duration))
        if self.language is None:  # no speech at all: nothing to detect, so report the requested language
            self.language = self.settings.source or self.settings.target
        self.recognized.put(END)

    def _translate(self) -> None:
        translator = self.pipeline.translator
        while (first := self.recognized.get()) is not END:
            # Whatever recognition has already queued is translated in the same call, a call per language.
            batch = [first, *self.recognized.take_ready(translator.settings.max_batch_size - 1)]
            clock = time.perf_counter()
            texts = []
            for language, items in itertools.groupby(batch, key=lambda item: item.language):  # kept if in the target
                texts += translator.translate([item.segment.text for item in items], language, self.settings.target)
            self.busy.translation += time.perf_counter() - clock
            for item, text in zip(batch, texts):
                recognized = item.segment
                segment = Segment(
                    item.index,
                    recognized.start,
                    recognized.end,
                    recognized.text,
                    text,
                    recognized.avg_logprob,
                    recognized.no_speech_prob,
                    language=item.language.code,
                )
                self.translated.put(segment)
        self.translated.put(END)

    def _synthesize(self) -> None:
        pending: Segment | None = None
        while (segment := self.translated.get()) is not END:
            if pending is not None:
                self._place(pending, slot_end=segment.start)
            pending = segment
        if self.workers.stopping:
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
            self.busy.synthesis += time.perf_counter() - clock
            segment = replace(segment, dub_start=placement.start, dub_speed=placement.speed, dub_end=placement.end)
        self.segments.append(segment)
        self.emit(SegmentReady(self.audio.path, segment))
