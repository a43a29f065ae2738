"""`translator devices`, `translator languages` and `translator demo-models`: what this machine and the app offer."""

from __future__ import annotations

import argparse
from pathlib import Path

from translator.audio.devices import list_devices
from translator.languages import LANGUAGES
from translator.models.folders import demo_languages


def add_parsers(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """The three commands that list or build things and translate nothing."""
    demo = commands.add_parser("demo-models", help="build the project's tiny demo models into a folder")
    demo.add_argument("folder", type=Path, metavar="DIR")
    demo.set_defaults(run=_demo_models)
    languages = commands.add_parser("languages", help="list the languages and their codes in each model family")
    languages.set_defaults(run=_languages)
    devices = commands.add_parser("devices", help="list sound input and output devices")
    devices.set_defaults(run=_devices)


def _demo_models(arguments: argparse.Namespace) -> int:
    from translator.models.demo import build_demo_models

    settings = build_demo_models(arguments.folder)
    print(
        f"demo models written to {arguments.folder}; use them with --config {settings.absolute()}\n"
        f"note: they say one placeholder sentence whatever they hear, in {demo_languages()} only: "
        "they show the app working, not a real translation"
    )
    return 0


def _devices(arguments: argparse.Namespace) -> int:
    devices = list_devices()
    if not devices:
        print("no sound devices found")
    for device in devices:
        roles = [role for role, present in (("in", device.input_channels), ("out", device.output_channels)) if present]
        marks = [mark for mark, flag in (("default in", device.default_input), ("default out", device.default_output),
                                         ("loopback", device.is_loopback)) if flag]  # fmt: skip
        print(
            f"{device.index:3} {device.name}  [{'/'.join(roles)}, {device.host_api}, "
            f"{device.default_sample_rate:.0f} Hz{''.join(f', {mark}' for mark in marks)}]"
        )
    return 0


def _languages(arguments: argparse.Namespace) -> int:
    print(f"{'code':6} {'name':24} {'whisper':8} {'nllb':10} {'m2m100':7} piper")
    for language in LANGUAGES:
        print(
            f"{language.code:6} {language.name[:24]:24} {language.whisper or '-':8} {language.flores or '-':10} "
            f"{language.m2m or '-':7} {' '.join(language.piper_locales) or '-'}"
        )
    return 0
