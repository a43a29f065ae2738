"""`translator live`: a live session in the terminal, one line per utterance with its stage times."""

from __future__ import annotations

import argparse
import sys
from typing import TextIO

from translator.audio.playback import AudioSink, PlaybackMark, SpeakerSink, WavFileSink
from translator.audio.sources import AudioSource, FileSource, MicrophoneSource
from translator.config import AppConfig
from translator.errors import TranslatorError
from translator.pipeline.live import (
    FinalTranscript,
    InterimTranscript,
    LiveError,
    LiveEvent,
    LiveSettings,
    LiveStats,
    LiveTranslator,
    PlaybackDropped,
    SynthesisSkipped,
    UtteranceDone,
    UtterancesMerged,
)
from translator.pipeline.outputs import DEMO_NOTICE
from translator.pipeline.timeline import STAGES
from translator.stages.live_segmentation import LiveSegmenterSettings

EXIT_STAGE_FAILED = 1


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"


class LivePrinter:
    """Turns live events into terminal lines: interim captions (on a terminal), one line per utterance."""

    def __init__(self, out: TextIO, err: TextIO, interims: bool) -> None:
        self._out, self._err = out, err
        self._interims = interims and err.isatty()
        self._languages: dict[int, str] = {}

    def __call__(self, event: LiveEvent) -> None:
        if isinstance(event, InterimTranscript) and self._interims:
            self._err.write(f"\r\x1b[K… {event.committed} {event.tentative}"[:200])
            self._err.flush()
        elif isinstance(event, FinalTranscript):
            self._languages[event.utterance] = event.language.code
        elif isinstance(event, UtteranceDone):
            self._clear_interim()
            t = event.timeline
            source = self._languages.pop(event.utterance, "?")
            times = (
                f"rec {_ms(t.recognition)} (hidden {_ms(t.hidden_wait)}) · tr {_ms(t.translation)} · "
                f"syn {_ms(t.synthesis)} · play wait {_ms(t.playback_wait)} · speech→speech {_ms(t.speech_to_speech)}"
            )
            spoken = "" if event.spoken else " [not spoken]"
            self._out.write(
                f"#{event.utterance} [{source}] {event.source_text} → {event.translation}{spoken}\n    {times}\n"
            )
            self._out.flush()
        elif isinstance(event, (LiveError, SynthesisSkipped, UtterancesMerged, PlaybackDropped)):
            self._clear_interim()
            self._err.write(f"translator: {_describe(event)}\n")

    def _clear_interim(self) -> None:
        if self._interims:
            self._err.write("\r\x1b[K")

    def summary(self, stats: LiveStats) -> None:
        lines = [f"{stats.utterances} utterances; p50 / p95 per stage:"]
        for name in STAGES:
            if name in stats.stages:
                figure = stats.stages[name]
                lines.append(f"  {name:17} {_ms(figure.p50):>8} / {_ms(figure.p95):>8}  (n={figure.count})")
        lines.append(
            f"  merged {stats.merged}, not spoken {stats.skipped}, "
            f"playback dropped {stats.dropped_playback_seconds:.1f}s, "
            f"speculative finals used {stats.speculative_used} / discarded {stats.speculative_discarded}, "
            f"input overflows {stats.input_overflows}, output underflows {stats.output_underflows}, "
            f"echo-gated {stats.gated_seconds:.1f}s"
        )
        self._out.write("\n".join(lines) + "\n")


def _describe(event: LiveError | SynthesisSkipped | UtterancesMerged | PlaybackDropped) -> str:
    if isinstance(event, LiveError):
        return f"error: {event.message}"
    if isinstance(event, SynthesisSkipped):
        return f"#{event.utterance} {event.reason}"
    if isinstance(event, UtterancesMerged):
        return f"falling behind: utterances {', '.join(map(str, event.utterances))} recognised together"
    return f"{event.reason} ({event.seconds:.1f}s)"


def run_live(arguments: argparse.Namespace, config: AppConfig) -> int:
    """Run `translator live` until Ctrl+C or the end of the input file; returns the exit status."""
    from translator.cli import load_models

    conversation = tuple(arguments.conversation) if arguments.conversation else None
    if conversation is None and arguments.target is None:
        raise TranslatorError("pass --to LANG, or --conversation LANG_A LANG_B")
    targets = list(conversation) if conversation else [arguments.target]
    speech = not arguments.no_speech
    models = load_models(arguments, config, targets, speech, "pass --no-speech for text only")
    settings = LiveSettings(
        target=arguments.target,
        source=arguments.source,
        conversation=conversation,
        segmenter=LiveSegmenterSettings(min_silence_ms=arguments.silence_ms),
        push_to_talk=arguments.push_to_talk,
        interim_results=not arguments.no_interims,
        echo_gate=not arguments.no_echo_gate,
        max_delay_s=arguments.max_delay,
    )
    engines: list[LiveTranslator] = []

    def on_mark(mark: PlaybackMark) -> None:
        engines[0].on_playback(mark)

    source: AudioSource = (
        FileSource(arguments.input_file)
        if arguments.input_file
        else MicrophoneSource(arguments.input_device, loopback=arguments.loopback)
    )
    sink: AudioSink | None = None
    if speech and arguments.output_file:
        sink = WavFileSink(arguments.output_file, next(iter(models.voices.values())).sample_rate, on_mark=on_mark)
    elif speech:
        sink = SpeakerSink(arguments.output_device, on_mark=on_mark)
    printer = LivePrinter(sys.stdout, sys.stderr, interims=not arguments.quiet)
    engine = LiveTranslator(models.recognizer, models.translator, models.voices, source, sink, settings, printer)
    engines.append(engine)
    if models.demo:
        print(f"note: {DEMO_NOTICE}", file=sys.stderr)
    try:  # Ctrl+C is how a live session normally ends, whenever it comes
        engine.start()
        print(f"listening to {source.name}; Ctrl+C stops", file=sys.stderr)
        if arguments.push_to_talk:
            _push_to_talk(engine)
        while not engine.wait(0.25):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        engine.stop()
    printer.summary(engine.stats())
    return EXIT_STAGE_FAILED if engine.error else 0


def _push_to_talk(engine: LiveTranslator) -> None:
    """Each Enter toggles speaking; the end of standard input releases."""
    talking = False
    print("push-to-talk: press Enter to start speaking, Enter again to stop", file=sys.stderr)
    for _ in sys.stdin:
        talking = not talking
        (engine.press if talking else engine.release)()
        print("speaking…" if talking else "translating…", file=sys.stderr)
    if talking:
        engine.release()
