"""`translator live`: a live session in the terminal, one line per utterance with its stage times."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from translator.audio.playback import AudioSink, SpeakerSink, WavFileSink
from translator.audio.sources import AudioSource, FileSource, MicrophoneSource
from translator.cli.exit_codes import EXIT_STAGE_FAILED
from translator.cli.model_choice import load_models
from translator.cli.options import (
    add_language_options,
    add_model_options,
    app_config,
    language_argument,
    number_between,
    whole_number,
)
from translator.cli.signals import Terminated, exit_status, stopped_by
from translator.cli.terminal import one_line
from translator.errors import TranslatorError
from translator.files import OutputLock, check_output_file, remove_stale_temporaries
from translator.models.folders import DEMO_SPEECH_NOTE
from translator.pipeline.live import LiveTranslator
from translator.pipeline.live_events import (
    FinalTranscript,
    InterimTranscript,
    LiveError,
    LiveEvent,
    LiveSettings,
    LiveStats,
    PlaybackDropped,
    SynthesisSkipped,
    UtteranceDone,
    UtterancesMerged,
)
from translator.pipeline.outputs import DEMO_NOTICE
from translator.pipeline.timeline import STAGES
from translator.stages.live_segmentation import LiveSegmenterSettings


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `live` command and its options."""
    live = commands.add_parser(
        "live",
        help="translate speech live, from a microphone, the computer's own sound, or a file",
        description="Translate speech live until Ctrl+C (or the end of --input-file).",
    )
    add_language_options(live, target_required=False)
    live.add_argument(
        "--conversation",
        nargs=2,
        type=language_argument,
        metavar=("LANG_A", "LANG_B"),
        help="two people: each utterance is translated into the other language",
    )
    sources = live.add_mutually_exclusive_group()
    sources.add_argument(
        "--input-device", metavar="DEVICE", help="microphone by number or name (see 'translator devices')"
    )
    sources.add_argument(
        "--loopback",
        action="store_true",
        help="translate what the computer plays (a call, a video); on Linux through PulseAudio or PipeWire",
    )
    sources.add_argument(
        "--input-file", type=Path, metavar="FILE", help="an audio file played in real time as the input"
    )
    sinks = live.add_mutually_exclusive_group()
    sinks.add_argument("--output-device", metavar="DEVICE", help="speaker by number or name")
    sinks.add_argument("--output-file", type=Path, metavar="FILE", help="write the translated speech to a WAV instead")
    sinks.add_argument("--no-speech", action="store_true", help="text only: no translated speech")
    live.add_argument("--push-to-talk", action="store_true", help="press Enter to start and again to stop speaking")
    live.add_argument(
        "--silence-ms",
        type=whole_number(100, 3000),  # the bounds the window's settings give it
        default=400,
        metavar="MS",
        help="silence that ends an utterance, 100 to 3000 (default: 400)",
    )
    live.add_argument("--no-echo-gate", action="store_true", help="keep listening while speech plays (headphones)")
    live.add_argument("--no-interims", action="store_true", help="no live captions while speaking (saves CPU)")
    live.add_argument(
        "--max-delay",
        type=number_between(0.5, 600.0),
        default=8.0,
        metavar="S",
        help="speech older than this is not spoken, 0.5 to 600 (default: 8)",
    )
    add_model_options(live, beam_size=1)
    live.set_defaults(run=run_live)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"


class LivePrinter:
    """Turns live events into terminal lines: interim captions (on a terminal), one line per utterance."""

    def __init__(self, out: TextIO, err: TextIO, interims: bool, speech: bool = True) -> None:
        self._out, self._err = out, err
        self._interims = interims and err.isatty()
        self._speech = speech  # without speech output no line is "not spoken": none was to be
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
            spoken = "" if event.spoken or not self._speech else " [not spoken]"
            self._out.write(
                f"#{event.utterance} [{source}] {event.source_text} → {event.translation}{spoken}\n    {times}\n"
            )
            self._out.flush()
        elif isinstance(event, (LiveError, SynthesisSkipped, UtterancesMerged, PlaybackDropped)):
            self._clear_interim()
            self._err.write(f"translator: {one_line(_describe(event))}\n")

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
            f"made ahead {stats.speculative_translations_used} / dropped {stats.speculative_translations_discarded}, "
            f"passes stopped for a final {stats.passes_abandoned}, "
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


def run_live(arguments: argparse.Namespace) -> int:
    """Run `translator live` until Ctrl+C or the end of the input file; returns the exit status."""
    config = app_config(arguments)
    if arguments.output_file is not None:  # before the models load: a folder, a device or an unwritable place
        check_output_file(arguments.output_file)
        removed = remove_stale_temporaries(arguments.output_file.parent)
        if removed.count:
            print(f"translator: {removed.describe()}", file=sys.stderr)
    conversation = tuple(arguments.conversation) if arguments.conversation else None
    if conversation is None and arguments.target is None:
        raise TranslatorError("pass --to LANG, or --conversation LANG_A LANG_B")
    targets = list(conversation) if conversation else [arguments.target]
    speech = not arguments.no_speech
    models = load_models(arguments, config, targets, speech, "pass --no-speech for text only", True)
    if models.unspoken:  # a language no voice speaks: the whole session is text only
        speech = False
        names = " and ".join(language.name for language in models.unspoken)
        print(f"note: no voice speaks {names}: translations are shown, not spoken", file=sys.stderr)
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
    source: AudioSource = (
        FileSource(arguments.input_file)
        if arguments.input_file
        else MicrophoneSource(arguments.input_device, loopback=arguments.loopback)
    )
    sink: AudioSink | None = None
    if speech and arguments.output_file:
        sink = WavFileSink(arguments.output_file, next(iter(models.voices.values())).sample_rate)
    elif speech:
        sink = SpeakerSink(arguments.output_device)
    printer = LivePrinter(sys.stdout, sys.stderr, interims=not arguments.quiet, speech=speech)
    engine = LiveTranslator(models.recognizer, models.translator, models.voices, source, sink, settings, printer)
    if models.demo:
        print(f"note: {DEMO_NOTICE}", file=sys.stderr)
        if speech:
            print(f"note: {DEMO_SPEECH_NOTE}", file=sys.stderr)
    # Another session or batch writing the same file is turned away before this one starts.
    output_lock = OutputLock(arguments.output_file) if isinstance(sink, WavFileSink) else None
    stopped: KeyboardInterrupt | None = None
    try:  # Ctrl+C is how a live session normally ends, whenever it comes; SIGTERM and SIGHUP end it the same way
        engine.start()
        print(f"listening to {one_line(source.name)}; Ctrl+C stops", file=sys.stderr)
        if arguments.push_to_talk:
            _push_to_talk(engine)
        while not engine.wait(0.25):
            pass
    except KeyboardInterrupt as interrupt:
        stopped = interrupt
    finally:
        engine.stop()  # the output file, if any, is finished here: complete up to this moment
        if output_lock is not None:
            output_lock.release()
    for warning in source.warnings if isinstance(source, FileSource) else ():
        print(f"translator: warning: {one_line(warning)}", file=sys.stderr)
    printer.summary(engine.stats())
    if isinstance(stopped, Terminated):  # stopped from outside (a script, a service manager): say so, and how
        kept = f"; the speech so far is in {arguments.output_file}" if output_lock and not engine.error else ""
        print(f"translator: {stopped_by(stopped)}{kept}", file=sys.stderr)
        return exit_status(stopped)
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
