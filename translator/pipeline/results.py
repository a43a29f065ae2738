"""What a translated file produces: its segments, languages, models and the time each stage took."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Segment:
    """One stretch of speech, its translation and where its translated speech was placed.

    avg_logprob and no_speech_prob are Whisper's confidence figures; dub_start, dub_end and dub_speed are
    None when no speech track was made (dub_start to dub_end is where the speech lies in the track; dub_speed
    above 1 means the speech was sped up to fit).
    """

    index: int
    start: float
    end: float
    source_text: str
    text: str
    avg_logprob: float
    no_speech_prob: float
    dub_start: float | None = None
    dub_speed: float | None = None
    dub_end: float | None = None
    language: str | None = None  # the code of the language spoken in it; None in results made before it was kept


@dataclass(frozen=True)
class StageTimes:
    """Seconds each stage was busy on a file, and the wall-clock time of the whole file.

    Stages overlap, so the wall time is less than their sum whenever the pipeline is doing its job.
    """

    decoding: float = 0.0
    recognition: float = 0.0
    translation: float = 0.0
    synthesis: float = 0.0
    wall: float = 0.0

    def real_time_factor(self, duration: float) -> float:
        """Wall time over audio duration: below 1 is faster than real time."""
        return self.wall / duration if duration > 0 else 0.0


@dataclass(frozen=True)
class FileResult:
    """Everything known about one translated file; `warnings` says what was wrong with the input but did not stop
    it (a file cut short, damaged samples), one line each; `worker` names the cluster worker that translated it
    (None for a local batch, whose JSON then has no such key)."""

    source: Path
    duration: float
    source_language: str
    language_probability: float | None
    target_language: str
    segments: tuple[Segment, ...]
    models: dict[str, str]
    times: StageTimes
    demo: bool
    outputs: tuple[Path, ...] = field(default=())
    warnings: tuple[str, ...] = ()
    worker: str | None = None

    def __post_init__(self) -> None:
        # In one order whatever order they were made in (a set of formats has none), so the JSON is the same
        # every run.
        object.__setattr__(self, "outputs", tuple(sorted(self.outputs)))

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["source"] = str(self.source)
        data["outputs"] = [str(path) for path in self.outputs]
        data["real_time_factor"] = self.times.real_time_factor(self.duration)
        if self.worker is None:
            del data["worker"]
        return data
