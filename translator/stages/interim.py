"""Interim captions by local agreement: a word is committed once two consecutive transcripts of the
growing utterance agree on it (and on everything before it), so captions appear live without
flickering back."""

from __future__ import annotations

import string


def _normalise(word: str) -> str:
    return word.strip(string.punctuation).casefold()


class LocalAgreement:
    """Commits the longest prefix two consecutive passes agree on; committed words never change."""

    def __init__(self) -> None:
        self.committed: list[str] = []
        self._previous: list[str] = []

    def update(self, text: str) -> tuple[str, str]:
        """Take a new transcript of the utterance so far; return (committed, tentative) text."""
        words = text.split()
        agreed = 0
        for before, now in zip(self._previous, words):
            if _normalise(before) != _normalise(now):
                break
            agreed += 1
        if agreed > len(self.committed) and self._extends_committed(words):
            self.committed = words[:agreed]
        self._previous = words
        tentative = words[len(self.committed) :] if self._extends_committed(words) else words
        return " ".join(self.committed), " ".join(tentative)

    def _extends_committed(self, words: list[str]) -> bool:
        prefix = words[: len(self.committed)]
        return len(prefix) == len(self.committed) and all(
            _normalise(a) == _normalise(b) for a, b in zip(prefix, self.committed)
        )
