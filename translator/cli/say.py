"""`translator say`: typed text translated and spoken, one line per sentence with its stage times."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from translator.audio.playback import AudioSink, SpeakerSink
from translator.cli.model_choice import load_models
from translator.cli.options import add_model_options, app_config, language_argument
from translator.errors import TranslatorError
from translator.languages import Language
from translator.pipeline.live_events import LiveEvent, UtteranceDone
from translator.pipeline.outputs import DEMO_NOTICE
from translator.pipeline.say import SpeechFileSink, TypedSpeech, desktop_language

READ_STANDARD_INPUT = "-"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `say` command and its options."""
    say = commands.add_parser(
        "say",
        help="translate typed text and speak it in another language",
        description="Translate TEXT and speak it, sentence by sentence as each is ready: a pasted paragraph "
        "starts speaking after its first sentence.",
    )
    say.add_argument("text", metavar="TEXT", help=f"what to say, in quotes; {READ_STANDARD_INPUT} reads standard input")
    say.add_argument(
        "--to", dest="target", required=True, type=language_argument, metavar="LANG", help="the language to say it in"
    )
    say.add_argument(
        "--from",
        dest="source",
        type=language_argument,
        metavar="LANG",
        help="the language of TEXT (default: this desktop's language, from its locale)",
    )
    sinks = say.add_mutually_exclusive_group()
    sinks.add_argument("--output-device", metavar="DEVICE", help="speaker by number or name")
    sinks.add_argument("--output-file", type=Path, metavar="FILE", help="write the speech to a WAV instead")
    sinks.add_argument("--no-speech", action="store_true", help="print the translation only")
    add_model_options(say, beam_size=1)
    say.set_defaults(run=run_say)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.0f}ms"


class SayPrinter:
    """One line per sentence: what was typed, its translation, then its stage times."""

    def __init__(self, out: TextIO, speech: bool) -> None:
        self._out = out
        self._speech = speech

    def __call__(self, event: LiveEvent) -> None:
        if not isinstance(event, UtteranceDone):
            return
        t = event.timeline
        played = (
            f" · syn {_ms(t.synthesis)} · play wait {_ms(t.playback_wait)} · text→speech {_ms(t.speech_to_speech)}"
            if event.spoken
            else ""
        )
        spoken = "" if event.spoken or not self._speech else " [not spoken]"
        self._out.write(
            f"#{event.utterance} {event.source_text} → {event.translation}{spoken}\n"
            f"    tr {_ms(t.translation)}{played}\n"
        )
        self._out.flush()


def run_say(arguments: argparse.Namespace) -> int:
    """Run `translator say`: translate the text, speak it, and print each sentence with its times."""
    text = sys.stdin.read() if arguments.text == READ_STANDARD_INPUT else arguments.text
    if not text.strip():
        raise TranslatorError(
            f"nothing to say: pass the text in quotes, or {READ_STANDARD_INPUT} to read it from standard input"
        )
    source = _source_language(arguments.source)
    arguments = argparse.Namespace(**{**vars(arguments), "source": source})  # the model choice serves this pair
    config = app_config(arguments)
    speech = not arguments.no_speech
    models = load_models(arguments, config, [arguments.target], speech, "pass --no-speech to print it only", True)
    if models.unspoken:
        speech = False
        print(f"note: no voice speaks {arguments.target.name}: the translation is printed, not spoken", file=sys.stderr)
    sink: AudioSink | None = None
    if speech and arguments.output_file:
        sink = SpeechFileSink(arguments.output_file, models.voices[arguments.target].sample_rate)
    elif speech:
        sink = SpeakerSink(arguments.output_device)
    if models.demo:
        print(f"note: {DEMO_NOTICE}", file=sys.stderr)
    speaker = TypedSpeech(models.translator, models.voices, sink, SayPrinter(sys.stdout, speech))
    try:
        if sink is not None:
            sink.start()
        speaker.say(text, source, arguments.target)
    finally:
        speaker.stop()
        if sink is not None:
            sink.stop()
    return 0


def _source_language(given: Language | None) -> Language:
    """--from, else the desktop's language (said on standard error, since it is a guess)."""
    if given is not None:
        return given
    language = desktop_language()
    if language is None:
        raise TranslatorError("pass --from LANG, the language of the text: this desktop's locale names none")
    print(f"note: reading the text as {language.name} (this desktop's language); --from LANG says otherwise",
          file=sys.stderr)  # fmt: skip
    return language
