"""The dubbed recording as one of a batch file's outputs (the "video" format).

Its names depend on the input's streams (`plan_media`), so they join the file's other outputs before it
starts; it needs the speech track, which is written as a scratch file when "wav" itself was not asked for;
and it is muxed at the end of the file, from the finished track, into temporaries of the file's `OutputSet`,
so it moves into place with the other outputs or not at all.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from translator.audio.mixing import MixSettings
from translator.audio.video import MATROSKA_KEY, MP4_KEY, plan_media, write_dubbed_media
from translator.pipeline.output_set import OutputSet
from translator.pipeline.results import FileResult


class DubbedMedia:
    """The "video" output of every file of a batch that asks for it (`formats`), in language `target`."""

    def __init__(self, formats: frozenset[str], target: str, mix: MixSettings) -> None:
        self.wanted = "video" in formats
        self.target = target
        self.mix = mix

    def paths(self, source: Path, stem: Path) -> dict[str, Path]:
        """The dubbed recording's outputs for input `source` named after `stem`; none when it is not wanted."""
        return plan_media(source, stem, self.target).paths if self.wanted else {}

    def dub_track(self, outputs: OutputSet) -> Path | None:
        """Where the speech track is written: its own output, or a scratch file when only the video needs it."""
        if "wav" in outputs.paths:
            return outputs.temporary("wav")
        return outputs.scratch("dub.wav") if self.wanted else None

    def write(self, result: FileResult, stem: Path, outputs: OutputSet, stop: threading.Event) -> FileResult:
        """Mux the dubbed recording of `result` into its temporaries in `outputs` (abandoned once `stop` is set);
        when the input's codecs keep it from MP4, the result's warnings say so."""
        dub_track = self.dub_track(outputs)
        if not self.wanted or dub_track is None:
            return result
        media = {key: outputs.temporary(key) for key in (MATROSKA_KEY, MP4_KEY) if key in outputs.paths}
        write_dubbed_media(result, dub_track, media, self.mix, stop)
        note = plan_media(result.source, stem, self.target).note
        return replace(result, warnings=(*result.warnings, note)) if note else result
