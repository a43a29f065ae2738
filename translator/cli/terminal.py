"""Text for the terminal: whatever a file name holds, a message stays on one line and moves no cursor."""

from __future__ import annotations

import re

# C0 and C1 control characters (newline, carriage return, escape, ...) and the Unicode line and paragraph
# separators: a file name may hold any of them, and printed raw they break a line or a table, or drive the terminal.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def one_line(text: str) -> str:
    """`text` with its control characters written as escapes (`\\n`, `\\x1b`, `\\u2028`), as Python would."""
    return _CONTROL.sub(lambda match: repr(match[0])[1:-1], text)
