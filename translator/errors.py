"""Exceptions whose message is one line a user can act on."""

from __future__ import annotations

import enum


class Remedy(enum.Enum):
    """A fix that each interface words in its own terms: the command line names its option or command, the
    window its control. The core's message says what happened without naming either."""

    LIST_DEVICES = enum.auto()  # see which sound devices there are
    INPUT_FROM_FILE = enum.auto()  # take the input from an audio file instead of a device
    OUTPUT_TO_FILE = enum.auto()  # write the translated speech to a file instead of a device
    RUN_ON_CPU = enum.auto()  # run the models on the CPU instead of a GPU
    REAL_MODELS = enum.auto()  # use real models: the demo models know only a few languages
    ANOTHER_MODEL_ID = enum.auto()  # import the model under an id of its own


class TranslatorError(Exception):
    """A failure the user can fix; the message says what happened and what to do, `remedy` a further fix that
    the interface words."""

    remedy: Remedy | None = None

    def __init__(self, *args: object, remedy: Remedy | None = None) -> None:
        super().__init__(*args)
        self.remedy = remedy


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
        super().__init__(f"{stage} failed: {detail}", remedy=getattr(error, "remedy", None))
        self.stage = stage


class ModelNotInstalledError(ModelError):
    """A catalog model is not installed; the message names the command that installs it."""


class IntegrityError(ModelError):
    """A model file differs from what its catalog entry or manifest says (corrupt or truncated)."""


class NetworkError(TranslatorError):
    """The model hub cannot be reached; installed models and the demo models still work."""


class DiskFullError(TranslatorError):
    """There is no room on the disk for a model."""
