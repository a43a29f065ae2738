"""Exceptions whose message is one line a user can act on."""

from __future__ import annotations


class TranslatorError(Exception):
    """A failure the user can fix; the message says what happened and what to do."""


class ModelError(TranslatorError):
    """A model folder or file is missing, incomplete or unusable."""


class AudioError(TranslatorError):
    """An input cannot be decoded or holds no audio."""


class UnsupportedLanguageError(TranslatorError):
    """A loaded model cannot serve a requested language."""


class StageError(TranslatorError):
    """A pipeline stage failed while it was working; names the stage."""

    def __init__(self, stage: str, error: BaseException) -> None:
        detail = str(error) if isinstance(error, TranslatorError) else f"{type(error).__name__}: {error}"
        super().__init__(f"{stage} failed: {detail}")
        self.stage = stage


class ModelNotInstalledError(ModelError):
    """A catalog model is not installed; the message names the command that installs it."""


class IntegrityError(ModelError):
    """A model file differs from what its catalog entry or manifest says (corrupt or truncated)."""


class NetworkError(TranslatorError):
    """The model hub cannot be reached; installed models and the demo models still work."""


class DiskFullError(TranslatorError):
    """There is no room on the disk for a model."""
