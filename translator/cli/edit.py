"""`translator edit NAME.LANG.json`: correct a translated file's segments, then re-render its outputs.

Without `--from-file`, the segments open in the user's editor ($VISUAL, $EDITOR, else vi) as a plain form:

    [3] 0:06.740 --> 0:11.724
    en: Ask not what your country can do for you.
    de: Frag nicht, was dein Land für dich tun kann.

A form that cannot be applied is one line, and on a terminal the editor opens again on what was written.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

from translator.audio.dubbing import DEFAULT_MAX_SPEEDUP
from translator.cli.model_choice import choose
from translator.cli.options import add_model_options, app_config
from translator.errors import TranslatorError
from translator.languages import Language
from translator.models.loading import ModelCache
from translator.pipeline.edit import (
    EditableFile,
    EditError,
    EditPlan,
    EditReport,
    EditStages,
    SegmentCorrection,
    apply_edit,
    format_time,
    load_edit,
    parse_time,
    plan_edit,
    read_corrections,
)
from translator.stages.synthesis import SpeechSynthesizer
from translator.stages.translation import TextTranslator

_HEADER = re.compile(r"^\[(\d+)\]\s+(\S+)\s+-->\s+(\S+)\s*$")
_SPEECH_HINT = "the speech track (wav) is made again with a voice"


def add_parser(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The `edit` command and its options."""
    edit = commands.add_parser(
        "edit",
        help="correct a translated file's segments and re-render its outputs",
        description="Correct the times, source text or translation of a translated file's segments, then "
        "rewrite its outputs: a changed source text is translated again, a changed translation spoken again.",
    )
    edit.add_argument("json", type=Path, metavar="NAME.LANG.json", help="the JSON translator batch wrote")
    edit.add_argument(
        "--from-file",
        type=Path,
        metavar="CORRECTED",
        help="apply a corrected copy of the JSON (or of the editor's form, any other suffix) without an editor",
    )
    edit.add_argument(
        "--max-speedup",
        type=float,
        default=DEFAULT_MAX_SPEEDUP,
        metavar="X",
        help=f"how much speech may be sped up to fit its slot (default: {DEFAULT_MAX_SPEEDUP})",
    )
    add_model_options(edit, beam_size=5)
    edit.set_defaults(run=run)


def run(arguments: argparse.Namespace) -> int:
    """Run `translator edit`; returns the exit status."""
    file = load_edit(arguments.json)
    plan = _plan_in_editor(file) if arguments.from_file is None else _plan_from_file(file, arguments.from_file)
    report = apply_edit(plan, _stages(arguments, file), arguments.max_speedup)
    print(_summary(file, report))
    return 0


def _plan_from_file(file: EditableFile, corrected: Path) -> EditPlan:
    try:
        text = corrected.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise EditError(f"cannot read {corrected}: {error}") from None
    if corrected.suffix.lower() == ".json":
        return plan_edit(file, read_corrections(text, str(corrected)))
    return plan_edit(file, parse_form(text, file))


def _plan_in_editor(file: EditableFile) -> EditPlan:
    """Open the form in the user's editor until what comes back applies (or they give up)."""
    if not (sys.stdin.isatty() and sys.stdout.isatty()):
        raise EditError("no terminal to edit the segments in: pass --from-file CORRECTED.json")
    text = write_form(file)
    with tempfile.TemporaryDirectory(prefix="translator-edit-") as folder:
        form = Path(folder) / f"{file.json_path.stem}.segments.txt"
        form.write_text(text, encoding="utf-8")
        while True:
            _open_editor(form)
            try:
                return plan_edit(file, parse_form(form.read_text(encoding="utf-8"), file))
            except EditError as error:
                print(f"translator: {error}", file=sys.stderr)
                if input("Edit again? [Y/n] ").strip().lower() in ("n", "no"):
                    raise EditError("nothing was changed") from None


def _open_editor(form: Path) -> None:
    editor = os.environ.get("VISUAL") or os.environ.get("EDITOR") or ("notepad" if os.name == "nt" else "vi")
    try:
        status = subprocess.call([*shlex.split(editor), str(form)])
    except OSError as error:
        raise EditError(f"cannot start the editor '{editor}' ({error}): set $EDITOR, or pass --from-file") from None
    if status != 0:
        raise EditError(f"the editor '{editor}' exited with status {status}: nothing was changed")


def write_form(file: EditableFile) -> str:
    """The segments as a form to correct in a text editor (see the module docstring)."""
    source, target = file.result.source_language, file.result.target_language
    lines = [
        f"# {file.json_path.name}: correct the times, the spoken text ({source}) or the translation ({target}),",
        "# then save and close. A changed spoken text is translated again, a changed translation spoken again.",
        "# Delete a segment's three lines to remove it. Lines starting with # are ignored.",
    ]
    for segment in file.result.segments:
        lines += [
            "",
            f"[{segment.index}] {format_time(segment.start)} --> {format_time(segment.end)}",
            f"{source}: {segment.source_text}",
            f"{target}: {segment.text}",
        ]
    return "\n".join(lines) + "\n"


def parse_form(text: str, file: EditableFile) -> list[SegmentCorrection]:
    """The corrections in a form `write_form` made (and the user edited); a line it cannot read is one line."""
    source, target = f"{file.result.source_language}:", f"{file.result.target_language}:"
    corrections: list[SegmentCorrection] = []
    lines = [(number, line.strip()) for number, line in enumerate(text.splitlines(), 1)]
    lines = [(number, line) for number, line in lines if line and not line.startswith("#")]
    for position in range(0, len(lines), 3):
        block = lines[position : position + 3]
        number, header = block[0]
        match = _HEADER.match(header)
        if not match:
            raise EditError(f"line {number}: expected '[INDEX] START --> END', found '{header[:40]}'")
        if len(block) < 3 or not block[1][1].startswith(source) or not block[2][1].startswith(target):
            raise EditError(f"line {number}: segment [{match.group(1)}] needs a '{source}' line and a '{target}' line")
        try:
            start, end = parse_time(match.group(2)), parse_time(match.group(3))
        except ValueError as error:
            raise EditError(f"line {number}: {error}") from None
        spoken, translated = block[1][1][len(source) :].strip(), block[2][1][len(target) :].strip()
        corrections.append(SegmentCorrection(int(match.group(1)), start, end, spoken, translated))
    return corrections


def _stages(arguments: argparse.Namespace, file: EditableFile) -> EditStages:
    """The translator and the voice, chosen as batch chooses them and loaded only when the edit needs them."""
    config = app_config(arguments)
    choice = argparse.Namespace(**{**vars(arguments), "source": file.source_language})
    cache = ModelCache()
    target = [file.target_language]

    def load(speech: bool) -> tuple[TextTranslator, dict[Language, SpeechSynthesizer]]:
        plan = choose(choice, config, target, speech, _SPEECH_HINT)
        models = cache.load(replace(config, models=plan.models), target, speech, 1, _SPEECH_HINT, plan.voices)
        return models.translator, dict(models.voices)

    def voice() -> SpeechSynthesizer:
        voices = load(True)[1]
        if file.target_language not in voices:
            raise TranslatorError(f"no voice speaks {file.target_language.name}: {_SPEECH_HINT}, pass --voice")
        return voices[file.target_language]

    return EditStages(translator=lambda: load(False)[0], synthesizer=voice)


def _summary(file: EditableFile, report: EditReport) -> str:
    name = file.json_path.name
    if not report.rewritten:
        return f"{name}: no changes, nothing rewritten"
    counts = (
        f"{name}: {report.translated} translated again, {report.spoken} spoken again, "
        f"{report.reused} kept their speech, {report.removed} removed"
    )
    return counts + "\nrewritten: " + ", ".join(path.name for path in report.rewritten)
