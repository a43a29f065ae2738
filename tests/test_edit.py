"""Correcting a translated file (`translator edit`): only the changed segments are recomputed, every output
is rewritten from the corrected segments, and a correction that cannot apply is one line that changes nothing."""

from __future__ import annotations

import hashlib
import json
import wave
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
import pysubs2
import pytest
from audio_files import speech_at, write_audio

from translator.cli import main
from translator.cli.edit import write_form
from translator.errors import TranslatorError
from translator.languages import Language, find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.models.demo.voice import build_demo_voice
from translator.pipeline.batch import BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.edit import (
    EditError,
    EditStages,
    apply_edit,
    format_time,
    load_edit,
    parse_time,
    plan_edit,
    read_corrections,
)
from translator.pipeline.outputs import FORMATS
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechAudio, SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

GERMAN = find_language("de")


class CountingTranslator(TextTranslator):
    """The real translator, remembering every text it was asked to translate."""

    def __init__(self, settings: TranslatorSettings) -> None:
        super().__init__(settings)
        self.asked: list[str] = []

    def translate(self, texts: Sequence[str], source: Language, target: Language) -> list[str]:
        self.asked += texts
        return super().translate(texts, source, target)


class CountingSynthesizer(SpeechSynthesizer):
    """The real voice, remembering every text it spoke."""

    def __init__(self, settings: SynthesizerSettings, language: Language) -> None:
        super().__init__(settings, language)
        self.spoken: list[str] = []

    def speak(self, text: str, speed: float = 1.0) -> SpeechAudio:
        self.spoken.append(text)
        return super().speak(text, speed)


@pytest.fixture
def stages(demo_folder: Path) -> EditStages:
    translator = CountingTranslator(TranslatorSettings(demo_folder / "nllb-demo"))
    voice = CountingSynthesizer(SynthesizerSettings(demo_folder / "voices"), GERMAN)
    return EditStages(lambda: translator, lambda: voice)


def corrected(outputs: Path, **changes: Any) -> str:
    """The JSON with changes applied: `segment1_text="..."` sets segment 1's text."""
    data = json.loads((outputs / "talk.de.json").read_text(encoding="utf-8"))
    for name, value in changes.items():
        number, field = name.removeprefix("segment").split("_", 1)
        data["segments"][int(number)][field] = value
    return json.dumps(data)


def apply(outputs: Path, text: str, stages: EditStages):  # type: ignore[no-untyped-def]
    file = load_edit(outputs / "talk.de.json")
    return apply_edit(plan_edit(file, read_corrections(text, "corrected.json")), stages)


def asked(stages: EditStages) -> tuple[list[str], list[str]]:
    translator, voice = stages.translator(), stages.synthesizer()
    assert isinstance(translator, CountingTranslator) and isinstance(voice, CountingSynthesizer)
    return translator.asked, voice.spoken


def track(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as read:
        return np.frombuffer(read.readframes(read.getnframes()), "<i2"), read.getframerate()


def span(samples: np.ndarray, rate: int, start: float, end: float) -> np.ndarray:
    return samples[round(start * rate) : round(end * rate)]


def digests(folder: Path) -> dict[str, str]:
    return {path.name: hashlib.sha256(path.read_bytes()).hexdigest() for path in sorted(folder.iterdir())}


def test_a_corrected_source_is_translated_again_alone_and_every_output_follows(
    outputs: Path, stages: EditStages
) -> None:
    before = digests(outputs)
    report = apply(outputs, corrected(outputs, segment1_source_text="Ask what you can do."), stages)
    translated, spoken = asked(stages)
    assert translated == ["Ask what you can do."]  # one model call, for the one segment
    assert spoken == []  # the demo model's translation did not change, so neither did its speech
    assert (report.translated, report.spoken, report.reused, report.removed) == (1, 0, 3, 0)
    assert {path.name for path in report.rewritten} == set(before)
    lines = (outputs / "talk.transcript.txt").read_text(encoding="utf-8").splitlines()
    assert lines[1:] == ["Ask not what your country can do for you.", "Ask what you can do.",
                         "Ask not what your country can do for you."]  # fmt: skip
    for fmt in ("srt", "vtt"):
        cues = pysubs2.load(str(outputs / f"talk.transcript.{fmt}"))
        assert [cue.text for cue in cues][1] == "Ask what you can do."
    data = json.loads((outputs / "talk.de.json").read_text(encoding="utf-8"))
    assert data["segments"][1]["source_text"] == "Ask what you can do."
    assert data["segments"][1]["text"] == DEMO_TRANSLATIONS["de"]
    after = digests(outputs)
    # Nothing else changed: the translations and the speech track (rebuilt from the old speech) are the same bytes.
    assert {name for name in after if after[name] != before[name]} == {
        "talk.transcript.txt", "talk.transcript.srt", "talk.transcript.vtt", "talk.de.json"
    }  # fmt: skip


def test_a_corrected_translation_is_spoken_again_alone(outputs: Path, stages: EditStages) -> None:
    old, rate = track(outputs / "talk.de.wav")
    old_segments = json.loads((outputs / "talk.de.json").read_text(encoding="utf-8"))["segments"]
    report = apply(outputs, corrected(outputs, segment2_text="Das ist neu."), stages)
    translated, spoken = asked(stages)
    assert (translated, spoken) == ([], ["Das ist neu."])
    assert (report.translated, report.spoken, report.reused) == (0, 1, 2)
    new, new_rate = track(outputs / "talk.de.wav")
    assert new_rate == rate and len(new) == len(old)  # still exactly as long as the recording
    segments = json.loads((outputs / "talk.de.json").read_text(encoding="utf-8"))["segments"]
    for before, after in zip(old_segments[:2], segments[:2]):  # the others' speech is where it was, sample for sample
        assert (after["dub_start"], after["dub_end"]) == (before["dub_start"], before["dub_end"])
        assert np.array_equal(span(new, rate, after["dub_start"], after["dub_end"]),
                              span(old, rate, before["dub_start"], before["dub_end"]))  # fmt: skip
    changed = segments[2]
    assert changed["dub_start"] == pytest.approx(changed["start"], abs=1.0 / rate)
    assert changed["dub_end"] - changed["dub_start"] < old_segments[2]["dub_end"] - old_segments[2]["dub_start"]
    assert np.any(span(new, rate, changed["dub_start"], changed["dub_end"]))
    assert not np.any(new[round(changed["dub_end"] * rate) :])  # the old, longer speech is gone
    assert [cue.text for cue in pysubs2.load(str(outputs / "talk.de.srt"))][2] == "Das ist neu."
    assert (outputs / "talk.de.txt").read_text(encoding="utf-8").splitlines()[-1] == "Das ist neu."


def test_moved_and_removed_segments_keep_their_speech(outputs: Path, stages: EditStages) -> None:
    old, rate = track(outputs / "talk.de.wav")
    data = json.loads((outputs / "talk.de.json").read_text(encoding="utf-8"))
    first, _, last = data["segments"]
    moved = dict(last, start=last["start"] + 0.25, end=last["end"] + 0.25)
    report = apply(outputs, json.dumps({"segments": [first, moved]}), stages)
    assert asked(stages) == ([], [])  # nothing translated, nothing spoken: the speech is moved, not remade
    assert (report.spoken, report.reused, report.removed) == (0, 2, 1)
    new, _ = track(outputs / "talk.de.wav")
    placed = json.loads((outputs / "talk.de.json").read_text(encoding="utf-8"))["segments"]
    assert [segment["index"] for segment in placed] == [0, 2]
    assert placed[1]["dub_start"] == pytest.approx(last["dub_start"] + 0.25, abs=1.0 / rate)
    assert np.array_equal(span(new, rate, placed[1]["dub_start"], placed[1]["dub_end"]),
                          span(old, rate, last["dub_start"], last["dub_end"]))  # fmt: skip
    assert not np.any(span(new, rate, data["segments"][1]["dub_start"], data["segments"][1]["dub_end"]))
    assert len(pysubs2.load(str(outputs / "talk.de.vtt"))) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda text: text[: len(text) // 2], "is not valid JSON"),
        (lambda text: text.replace('"start": 6.74', '"start": 4.0'), "before segment 0 ends"),
        (lambda text: text.replace('"end": 18.252000000000002', '"end": 25.0'), "outside the recording"),
        (lambda text: text.replace('"start": 6.74', '"start": 12.0'), "ends (0:11.724) before it starts"),
        (lambda text: text.replace('"index": 2', '"index": 7'), "no segment with that index"),
        (lambda text: text.replace('"text": "Frag', '"text": 12, "x": "Frag'), "its text must be a string"),
    ],
)
def test_a_correction_that_cannot_apply_is_one_line_and_changes_nothing(
    outputs: Path, stages: EditStages, change: Any, message: str
) -> None:
    text = (outputs / "talk.de.json").read_text(encoding="utf-8")
    assert '"start": 6.74,' in text and '"end": 18.252000000000002,' in text  # what the changes edit
    before = digests(outputs)
    with pytest.raises(EditError) as raised:
        apply(outputs, change(text), stages)
    assert message in str(raised.value) and "\n" not in str(raised.value)
    assert digests(outputs) == before


def test_a_failure_while_re_rendering_leaves_the_outputs_as_they_were(outputs: Path, tmp_path: Path) -> None:
    voice = build_demo_voice(tmp_path / "voice", "de", "de_DE", sample_rate=22050)  # not the track's rate
    stages = EditStages(lambda: pytest.fail("nothing to translate"),
                        lambda: SpeechSynthesizer(SynthesizerSettings(voice), GERMAN))  # fmt: skip
    before = digests(outputs)
    with pytest.raises(TranslatorError, match="use the voice the file was made with"):
        apply(outputs, corrected(outputs, segment0_text="Anders."), stages)
    assert digests(outputs) == before  # no temporaries left behind either


def test_the_command_line_applies_a_corrected_file_or_form(
    outputs: Path, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = str(demo_folder / "demo.toml")
    fixed = tmp_path / "fixed.json"
    fixed.write_text(corrected(outputs, segment0_text="Erstens."), encoding="utf-8")
    assert main(["edit", str(outputs / "talk.de.json"), "--from-file", str(fixed), "--config", config]) == 0
    printed = capsys.readouterr().out
    assert "0 translated again, 1 spoken again, 2 kept their speech, 0 removed" in printed
    assert "talk.de.wav" in printed and "talk.transcript.srt" in printed

    form = write_form(load_edit(outputs / "talk.de.json"))
    assert "[0] 0:00.212 --> 0:05.228\nen: Ask not what your country can do for you.\nde: Erstens.\n" in form
    edited = tmp_path / "form.txt"
    edited.write_text(form.replace("de: Erstens.", "de: Zuerst."), encoding="utf-8")
    assert main(["edit", str(outputs / "talk.de.json"), "--from-file", str(edited), "--config", config]) == 0
    assert "1 spoken again" in capsys.readouterr().out
    assert (outputs / "talk.de.txt").read_text(encoding="utf-8").splitlines()[1] == "Zuerst."

    edited.write_text(form.replace("0:05.228", "soon"), encoding="utf-8")
    before = digests(outputs)
    assert main(["edit", str(outputs / "talk.de.json"), "--from-file", str(edited), "--config", config]) == 2
    error = capsys.readouterr().err
    assert error.count("\n") == 1 and "is not a time" in error
    assert digests(outputs) == before


def test_times_read_as_they_are_written() -> None:
    for seconds in (0.0, 5.228, 75.5, 3725.25):
        assert parse_time(format_time(seconds)) == pytest.approx(seconds)
    assert format_time(75.5) == "1:15.500" and format_time(3725.25) == "1:02:05.250"
    assert parse_time("12.5") == 12.5
    with pytest.raises(ValueError):
        parse_time("soon")


@pytest.mark.parametrize("with_wav", [True, False], ids=["with-its-speech-track", "video-alone"])
def test_the_dubbed_video_is_made_again_with_the_correction(
    demo_folder: Path, speech_like: np.ndarray, stages: EditStages, tmp_path: Path, with_wav: bool
) -> None:
    talk = write_audio(tmp_path / "talk.mkv", speech_at(speech_like, [0.5, 7.0, 13.5], 19.0), with_video=True)
    pipeline = Pipeline(
        SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1)),
        TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")),
        SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), GERMAN),
    )
    formats = frozenset(FORMATS) - ({"wav"} if not with_wav else set())
    settings = BatchSettings(target=GERMAN, output_folder=tmp_path / "out", window_seconds=4.0, formats=formats)
    assert not BatchTranslator(pipeline, settings).run([talk]).failed
    out = tmp_path / "out"
    assert (out / "talk.de.mkv").is_file() and (out / "talk.de.wav").exists() == with_wav
    before = digests(out)
    report = apply(out, corrected(out, segment1_text="Das ist neu."), stages)
    assert report.spoken == (1 if with_wav else 3)  # without its speech track, the video's speech is made anew
    assert {path.name for path in report.rewritten} == set(before)
    assert not [name for name in digests(out) if name.startswith(".")]  # no temporaries left
    with av.open(str(out / "talk.de.mkv")) as video:
        translation = next(s for s in video.streams.subtitles if s.metadata.get("language") == "ger")
        cues = [bytes(packet).decode() for packet in video.demux(translation) if packet.size]
    assert cues == [DEMO_TRANSLATIONS["de"], "Das ist neu.", DEMO_TRANSLATIONS["de"]]
