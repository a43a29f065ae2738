"""The `translator` command: one module per command, assembled here into one parser.

Every failure the user can act on is printed as one line; a traceback means a bug, and goes to the log.
"""

from __future__ import annotations

import argparse
import logging
import os
import re
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from translator import __version__
from translator.cli import batch, bench, edit, info, live, models, say
from translator.cli.exit_codes import EXIT_BROKEN_PIPE, EXIT_INTERNAL, EXIT_USAGE
from translator.cli.model_choice import command_line_message
from translator.cli.signals import exit_status, stop_signals_as_interrupts, stopped_by
from translator.cli.terminal import one_line
from translator.errors import TranslatorError
from translator.paths import configure_logging, log_path

__all__ = ["EXIT_INTERNAL", "log_path", "main"]
APP_EXECUTABLE = "speech-translator"  # the desktop app's executable (packaging/), which runs this command line too
_COMMANDS = ("batch", "live", "say", "edit", "models", "bench", "gui", "demo-models", "languages", "devices")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="translator", description="Offline speech-to-speech translation.")
    parser.add_argument("--version", action="version", version=f"translator {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    batch.add_parser(commands)
    edit.add_parser(commands)
    live.add_parser(commands)
    say.add_parser(commands)
    models.add_parser(commands)
    bench.add_parser(commands)
    info.add_parsers(commands)
    gui = commands.add_parser("gui", help="open the desktop window")
    gui.add_argument("--version", action="version", version=f"translator {__version__}")
    gui.add_argument("--check", action="store_true", help="open the window and close it at once (tests an install)")
    gui.add_argument(
        "--config", type=Path, metavar="FILE", help="a settings file whose models fill in choices the window lacks"
    )
    gui.add_argument(
        "--settings", type=Path, metavar="FILE", help="the window's own settings file (default: in the config folder)"
    )
    return parser


def in_the_users_words(message: str) -> str:
    """`message` with the commands it names ("run: translator models download ...") spelled as the user
    runs them: the desktop app's own executable is the command line too, where `translator` may not exist."""
    program = Path(sys.argv[0]).name if sys.argv else ""
    if program != APP_EXECUTABLE:
        return message
    return re.sub(rf"(?<![\w./-])translator (?=({'|'.join(_COMMANDS)})\b)", f"{program} ", message)


def main(argv: Sequence[str] | None = None, open_window: Callable[[argparse.Namespace], int] | None = None) -> int:
    """Run the command line; returns the exit status.

    `open_window` runs `translator gui`: the window lives in ui/, which the core never imports, so the
    `translator` command (ui.app.command_line) passes it in."""
    arguments = _parser().parse_args(argv)
    configure_logging()
    with stop_signals_as_interrupts():  # SIGTERM and SIGHUP end the command as Ctrl+C does
        return _run_command(arguments, argv, open_window)


def _run_command(
    arguments: argparse.Namespace, argv: Sequence[str] | None, open_window: Callable[[argparse.Namespace], int] | None
) -> int:
    try:
        if arguments.command == "gui":
            if open_window is None:
                raise TranslatorError("this entry point has no window: run `translator gui` or `translator-gui`")
            return open_window(arguments)
        if arguments.command == "bench":
            return bench.run(arguments, ["translator", *(sys.argv[1:] if argv is None else argv)])
        status: int = arguments.run(arguments)
        return status
    except TranslatorError as error:
        print(f"translator: error: {one_line(in_the_users_words(command_line_message(error)))}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt as interrupt:
        print(f"translator: {stopped_by(interrupt)}", file=sys.stderr)
        return exit_status(interrupt)
    except BrokenPipeError:
        # The reader went away (`translator models list | head`): stop quietly, and keep Python's exit-time
        # flush from failing on the closed pipe too.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except Exception as error:  # a bug: one line here, the traceback in the log
        logging.getLogger(__name__).exception("unexpected error")
        message = one_line(f"{type(error).__name__}: {error}")
        print(f"translator: internal error: {message} (details in {log_path()})", file=sys.stderr)
        return EXIT_INTERNAL
