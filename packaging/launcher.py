"""The frozen app's one executable: the window with no arguments, otherwise the `translator` command.

`speech-translator` (double-clicked, or from a menu) opens the window; `speech-translator batch ...`,
`speech-translator live ...` and every other subcommand run exactly as `translator ...` does.
"""

from __future__ import annotations

import sys

from ui.app import command_line


def run(argv: list[str]) -> int:
    """Run the command line on `argv`, or open the window when `argv` is empty."""
    return command_line(argv or ["gui"])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
