"""Batch translation of files end to end, with the real demo models: outputs, placement, events, failures."""

from __future__ import annotations

import errno
import json
import logging
import os
import stat
import tracemalloc
import wave
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pysubs2
import pytest
from audio_files import speech_at, video_codec, write_audio, write_video_only, write_wav

from translator.audio.files import SAMPLE_RATE, AudioFile, read_audio
from translator.errors import TranslatorError, UnsupportedLanguageError
from translator.languages import find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.models.demo.whisper import DEMO_TRANSCRIPT
from translator.pipeline import outputs
from translator.pipeline.batch import BatchReport, BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.batch_events import (
    Event,
    FileFailed,
    FileFinished,
    FileProgress,
    FileSkipped,
    FileStarted,
    SegmentReady,
)
from translator.pipeline.outputs import DEMO_NOTICE
from translator.pipeline.results import FileResult
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechSegmenter, pack_windows
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

GERMAN = find_language("de")
GERMAN_TEXT = DEMO_TRANSLATIONS["de"]
ALL_OUTPUTS = (
    "transcript.txt",
    "transcript.srt",
    "transcript.vtt",
    "de.txt",
    "de.srt",
    "de.vtt",
    "de.json",
    "de.wav",
)
VAD_PADDING = 0.4  # the segmenter keeps 0.3 s of audio before speech; allow a little for the VAD's own delay


@pytest.fixture(scope="module")
def pipeline(demo_folder: Path) -> Pipeline:
    return Pipeline(
        SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1)),
        TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")),
        SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), GERMAN),
    )


@pytest.fixture(scope="module")
def jfk_result(pipeline: Pipeline, jfk_path: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FileResult]:
    """jfk.flac translated into German once, with every output."""
    out = tmp_path_factory.mktemp("jfk-out")
    report = BatchTranslator(pipeline, BatchSettings(target=GERMAN, output_folder=out)).run([jfk_path])
    assert not report.failed and not report.skipped
    return out, report.finished[0]


def translate(
    pipeline: Pipeline,
    paths: list[Path],
    on_event: Callable[[Event], None] = lambda event: None,
    **settings: object,
) -> BatchReport:
    return BatchTranslator(pipeline, BatchSettings(target=GERMAN, **settings), on_event).run(paths)  # type: ignore[arg-type]


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as track:
        assert track.getnchannels() == 1 and track.getsampwidth() == 2
        return np.frombuffer(track.readframes(track.getnframes()), "<i2"), track.getframerate()


def sound_after(samples: np.ndarray, rate: int, time: float, seconds: float = 0.3) -> bool:
    begin = round(time * rate)
    return bool(np.any(samples[begin : begin + round(seconds * rate)] != 0))


def files_under(folder: Path) -> set[str]:
    return {str(path.relative_to(folder)) for path in folder.rglob("*") if path.is_file()}


# --- jfk.flac into German: every output -------------------------------------------------------------


def test_every_output_is_written(jfk_result: tuple[Path, FileResult]) -> None:
    out, result = jfk_result
    assert files_under(out) == {f"jfk.{suffix}" for suffix in ALL_OUTPUTS}
    assert {path.name for path in result.outputs} == {f"jfk.{suffix}" for suffix in ALL_OUTPUTS}
    assert all(path.stat().st_size > 0 for path in out.iterdir())


def test_json_output(jfk_result: tuple[Path, FileResult]) -> None:
    out, result = jfk_result
    data = json.loads((out / "jfk.de.json").read_text(encoding="utf-8"))
    assert data["source_language"] == "en"
    assert data["target_language"] == "de"
    assert 0.0 < data["language_probability"] <= 1.0
    assert data["demo"] is True
    assert data["duration"] == pytest.approx(11.0, abs=0.05)
    assert set(data["models"]) >= {"recognition", "translation", "synthesis", "compute"}
    assert data["models"]["recognition"] == "whisper-demo"
    assert data["models"]["translation"].startswith("nllb-demo")
    assert set(data["times"]) == {"decoding", "recognition", "translation", "synthesis", "wall"}
    assert all(value >= 0 for value in data["times"].values())
    assert data["times"]["wall"] > 0
    assert data["real_time_factor"] > 0
    assert len(data["segments"]) >= 1
    for segment in data["segments"]:
        assert set(segment) >= {
            "start",
            "end",
            "source_text",
            "text",
            "avg_logprob",
            "no_speech_prob",
            "dub_start",
            "dub_speed",
        }
        assert segment["source_text"] == DEMO_TRANSCRIPT
        assert segment["text"] == GERMAN_TEXT
        assert 0.0 <= segment["start"] < segment["end"] <= data["duration"]
        assert segment["dub_start"] >= segment["start"] - 1e-3
        assert segment["dub_speed"] >= 1.0
        assert segment["avg_logprob"] <= 0.0
        assert 0.0 <= segment["no_speech_prob"] <= 1.0
    # The speech starts right at the beginning of the recording and runs to its end.
    assert data["segments"][0]["start"] < 1.0
    assert data["segments"][-1]["end"] > 9.0
    assert [Path(p).name for p in data["outputs"]] == [p.name for p in result.outputs]


@pytest.mark.parametrize("fmt", ["srt", "vtt"])
@pytest.mark.parametrize(("name", "text"), [("transcript", DEMO_TRANSCRIPT), ("de", GERMAN_TEXT)])
def test_subtitles_parse_back(jfk_result: tuple[Path, FileResult], fmt: str, name: str, text: str) -> None:
    out, _ = jfk_result
    segments = json.loads((out / "jfk.de.json").read_text(encoding="utf-8"))["segments"]
    subtitles = pysubs2.load(str(out / f"jfk.{name}.{fmt}"))
    assert subtitles.format == fmt
    assert [event.plaintext for event in subtitles] == [text] * len(segments)
    assert [(event.start, event.end) for event in subtitles] == [
        (round(s["start"] * 1000), round(s["end"] * 1000)) for s in segments
    ]
    # The string form parses the same way.
    again = pysubs2.SSAFile.from_string((out / f"jfk.{name}.{fmt}").read_text(encoding="utf-8"))
    assert [(event.start, event.end, event.plaintext) for event in again] == [
        (event.start, event.end, event.plaintext) for event in subtitles
    ]


def test_vtt_carries_the_demo_notice(jfk_result: tuple[Path, FileResult]) -> None:
    out, _ = jfk_result
    vtt = (out / "jfk.de.vtt").read_text(encoding="utf-8")
    assert vtt.startswith("WEBVTT")
    assert f"NOTE {DEMO_NOTICE}" in vtt


@pytest.mark.parametrize(("name", "text"), [("transcript", DEMO_TRANSCRIPT), ("de", GERMAN_TEXT)])
def test_txt_output(jfk_result: tuple[Path, FileResult], name: str, text: str) -> None:
    out, result = jfk_result
    lines = (out / f"jfk.{name}.txt").read_text(encoding="utf-8").splitlines()
    assert lines[0] == f"# {DEMO_NOTICE}"
    assert lines[1:] == [text] * len(result.segments)


def test_speech_track_matches_the_input(jfk_result: tuple[Path, FileResult], jfk_path: Path) -> None:
    out, result = jfk_result
    samples, rate = read_wav(out / "jfk.de.wav")
    input_samples = len(read_audio(jfk_path))
    assert abs(len(samples) - round(input_samples / SAMPLE_RATE * rate)) <= 1
    first = result.segments[0]
    assert first.dub_start is not None
    begin = round(first.dub_start * rate)
    assert not np.any(samples[:begin])
    assert sound_after(samples, rate, first.dub_start)


# --- placing translated speech in the track ---------------------------------------------------------


def test_segments_are_placed_at_their_source_times(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path) -> None:
    audio = speech_at(speech_like, [1.0, 9.0], 9.0 + len(speech_like) / SAMPLE_RATE + 1.0)
    source = write_wav(tmp_path / "two.wav", audio)
    report = translate(pipeline, [source], output_folder=tmp_path / "out", window_seconds=5)
    assert not report.failed
    segments = report.finished[0].segments
    assert len(segments) == 2
    for segment, expected in zip(segments, [1.0, 9.0]):
        assert expected - VAD_PADDING <= segment.start <= expected + VAD_PADDING
        assert segment.text == GERMAN_TEXT
        assert segment.dub_start == pytest.approx(segment.start, abs=1e-3)
        assert segment.dub_speed == 1.0
    samples, rate = read_wav(tmp_path / "out" / "two.de.wav")
    assert abs(len(samples) - round(len(audio) / SAMPLE_RATE * rate)) <= 1
    for segment in segments:
        assert segment.dub_start is not None
        # Silent just before the speech placed there, sound right after its start.
        assert not np.any(samples[round((segment.dub_start - 0.2) * rate) : round(segment.dub_start * rate)])
        assert sound_after(samples, rate, segment.dub_start)


@pytest.mark.parametrize("max_speedup", [1.35, 3.0])
def test_speech_longer_than_its_slot_is_sped_up_without_overlap(
    pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path, max_speedup: float
) -> None:
    # 1.2 s utterances 0.8 s apart: the German sentence (about 4 s) never fits its 2 s slot.
    short = speech_like[: round(1.2 * SAMPLE_RATE)]
    source = write_wav(tmp_path / "close.wav", speech_at(short, [1.0, 3.0, 5.0], 8.0))
    report = translate(pipeline, [source], output_folder=tmp_path / "out", window_seconds=1, max_speedup=max_speedup)
    assert not report.failed
    segments = report.finished[0].segments
    assert len(segments) == 3
    assert pipeline.synthesizer is not None
    samples, rate = read_wav(tmp_path / "out" / "close.de.wav")
    for segment, following in zip(segments, segments[1:]):
        assert segment.dub_start is not None and segment.dub_speed is not None
        assert following.dub_start is not None
        assert 1.0 < segment.dub_speed <= max_speedup + 1e-9
        placed = pipeline.synthesizer.speak(segment.text, segment.dub_speed).duration
        assert following.dub_start >= segment.dub_start + placed - 1.0 / rate
        assert following.dub_start >= following.start - 1e-3
    for segment in segments:
        assert segment.dub_start is not None
        assert sound_after(samples, rate, segment.dub_start)
    assert segments[0].dub_start == pytest.approx(segments[0].start, abs=1e-3)


def test_pushed_segment_is_still_sped_up(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path) -> None:
    # Four 1.2 s utterances 2 s apart: each German sentence (about 4.3 s) overruns its slot, so every
    # segment should be spoken at the maximum speed-up, including those pushed late by their predecessor.
    short = speech_like[: round(1.2 * SAMPLE_RATE)]
    source = write_wav(tmp_path / "crowded.wav", speech_at(short, [1.0, 3.0, 5.0, 7.0], 10.0))
    report = translate(pipeline, [source], output_folder=tmp_path / "out", window_seconds=1, max_speedup=1.35)
    segments = report.finished[0].segments
    assert len(segments) == 4
    assert [segment.dub_speed for segment in segments] == [pytest.approx(1.35)] * 4


def test_speech_overrunning_the_end_is_cut_to_the_input_length(
    pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path
) -> None:
    # The same crowded file: pushed-back speech would run about 3.5 s past the end of the input.
    short = speech_like[: round(1.2 * SAMPLE_RATE)]
    source = write_wav(tmp_path / "crowded.wav", speech_at(short, [1.0, 3.0, 5.0, 7.0], 10.0))
    report = translate(pipeline, [source], output_folder=tmp_path / "out", window_seconds=1, max_speedup=1.35)
    samples, rate = read_wav(tmp_path / "out" / "crowded.de.wav")
    assert len(samples) == 10 * rate
    placed = [segment.dub_start for segment in report.finished[0].segments]
    assert all(start is not None for start in placed)
    # Speech that starts before the end is in the track; the JSON shows where the rest would have gone.
    inside = [start for start in placed if start is not None and start < 10.0]
    assert len(inside) == 3 and placed[-1] is not None and placed[-1] >= 10.0
    assert all(sound_after(samples, rate, start) for start in inside)
    assert abs(samples[-1]) < 1e-3  # faded out, not cut mid-wave


def test_silence_only_file(pipeline: Pipeline, tmp_path: Path) -> None:
    audio = np.zeros(5 * SAMPLE_RATE, np.float32)
    source = write_wav(tmp_path / "quiet.wav", audio)
    out = tmp_path / "out"
    report = translate(pipeline, [source], output_folder=out)
    assert not report.failed
    result = report.finished[0]
    assert result.segments == ()
    assert files_under(out) == {f"quiet.{suffix}" for suffix in ALL_OUTPUTS}
    data = json.loads((out / "quiet.de.json").read_text(encoding="utf-8"))
    assert data["segments"] == []
    assert (out / "quiet.de.srt").read_text(encoding="utf-8").strip() == ""
    assert pysubs2.load(str(out / "quiet.de.srt"), format_="srt").events == []
    assert pysubs2.load(str(out / "quiet.de.vtt")).events == []
    assert (out / "quiet.de.txt").read_text(encoding="utf-8").splitlines() == [f"# {DEMO_NOTICE}"]
    samples, rate = read_wav(out / "quiet.de.wav")
    assert len(samples) == round(5 * rate)
    assert not np.any(samples)


def test_only_the_requested_formats(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = translate(pipeline, [jfk_path], output_folder=out, formats=frozenset({"srt"}))
    assert not report.failed
    assert files_under(out) == {"jfk.transcript.srt", "jfk.de.srt"}
    assert {path.name for path in report.finished[0].outputs} == {"jfk.transcript.srt", "jfk.de.srt"}


def test_no_speech_track_leaves_dub_fields_empty(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    report = translate(pipeline, [jfk_path], output_folder=out, formats=frozenset({"json"}))
    assert files_under(out) == {"jfk.de.json"}
    segments = json.loads((out / "jfk.de.json").read_text(encoding="utf-8"))["segments"]
    assert segments and all(s["dub_start"] is None and s["dub_speed"] is None for s in segments)
    assert report.finished[0].segments[0].text == GERMAN_TEXT


# --- events -----------------------------------------------------------------------------------------


def test_events_arrive_in_order(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path) -> None:
    audio = speech_at(speech_like, [1.0, 8.0, 15.0], 21.0)
    source = write_wav(tmp_path / "three.wav", audio)
    events: list[Event] = []
    report = translate(pipeline, [source], events.append, output_folder=tmp_path / "out", window_seconds=5)
    assert not report.failed
    assert isinstance(events[0], FileStarted)
    assert events[0].path == source and events[0].index == 0 and events[0].total == 1
    assert events[0].duration == pytest.approx(21.0, abs=0.01)
    assert isinstance(events[-1], FileFinished)
    assert events[-1].result is report.finished[0]
    middle = events[1:-1]
    assert all(isinstance(event, (FileProgress, SegmentReady)) for event in middle)
    positions = [event.position for event in middle if isinstance(event, FileProgress)]
    assert len(positions) == 3
    assert positions == sorted(positions)
    assert all(0 < position <= 21.0 for position in positions)
    ready = [event.segment for event in middle if isinstance(event, SegmentReady)]
    assert ready == list(report.finished[0].segments)
    assert [segment.index for segment in ready] == [0, 1, 2]
    assert all(event.path == source for event in middle)


def test_events_for_several_files(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path) -> None:
    first = write_wav(tmp_path / "one.wav", speech_at(speech_like, [0.5], 6.0))
    second = write_wav(tmp_path / "two.wav", speech_at(speech_like, [0.5], 6.0))
    events: list[Event] = []
    translate(pipeline, [first, second], events.append, output_folder=tmp_path / "out")
    starts = [event for event in events if isinstance(event, FileStarted)]
    assert [(event.path, event.index, event.total) for event in starts] == [(first, 0, 2), (second, 1, 2)]
    finished_at = [i for i, event in enumerate(events) if isinstance(event, FileFinished)]
    started_at = [i for i, event in enumerate(events) if isinstance(event, FileStarted)]
    assert started_at[0] < finished_at[0] < started_at[1] < finished_at[1] == len(events) - 1


# --- inputs: folders, names, containers ------------------------------------------------------------


def test_folder_is_searched_recursively(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path) -> None:
    talks = tmp_path / "talks"
    (talks / "sub" / "deeper").mkdir(parents=True)
    audio = speech_at(speech_like, [0.5], 5.5)
    write_audio(talks / "a.flac", audio)
    write_audio(talks / "sub" / "deeper" / "b.ogg", audio)
    write_audio(talks / "sub" / "talk.wav", audio)
    write_audio(talks / "sub" / "talk.mp3", audio)
    (talks / "notes.txt").write_text("not audio")
    out = tmp_path / "out"
    report = translate(pipeline, [talks], output_folder=out, formats=frozenset({"json", "srt"}))
    assert not report.failed
    assert len(report.finished) == 4
    stems = ["talks/a", "talks/sub/deeper/b", "talks/sub/talk.wav", "talks/sub/talk.mp3"]
    assert files_under(out) == {
        f"{stem}.{suffix}" for stem in stems for suffix in ("de.json", "de.srt", "transcript.srt")
    }
    for stem in stems:
        data = json.loads((out / f"{stem}.de.json").read_text(encoding="utf-8"))
        assert data["segments"][0]["text"] == GERMAN_TEXT
    sources = {Path(json.loads((out / f"{stem}.de.json").read_text())["source"]).name for stem in stems}
    assert sources == {"a.flac", "b.ogg", "talk.wav", "talk.mp3"}


def test_outputs_beside_inputs_get_distinct_names(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path) -> None:
    audio = speech_at(speech_like, [0.5], 5.5)
    wav = write_audio(tmp_path / "talk.wav", audio)
    mp3 = write_audio(tmp_path / "talk.mp3", audio)
    report = translate(pipeline, [wav, mp3], formats=frozenset({"json"}))
    assert not report.failed
    assert (tmp_path / "talk.wav.de.json").is_file()
    assert (tmp_path / "talk.mp3.de.json").is_file()
    assert not (tmp_path / "talk.de.json").exists()
    assert json.loads((tmp_path / "talk.mp3.de.json").read_text())["source"] == str(mp3)


def test_same_file_name_from_two_folders_into_one_output_folder(
    pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path
) -> None:
    audio = speech_at(speech_like, [0.5], 5.5)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = write_audio(tmp_path / "a" / "talk.wav", audio)
    second = write_audio(tmp_path / "b" / "talk.wav", audio)
    report = translate(pipeline, [first, second], output_folder=tmp_path / "out", formats=frozenset({"json"}))
    assert len(report.finished) == 2
    first_outputs, second_outputs = (set(result.outputs) for result in report.finished)
    assert not first_outputs & second_outputs
    written = sorted((tmp_path / "out").rglob("*.json"))
    assert len(written) == 2
    assert {json.loads(path.read_text(encoding="utf-8"))["source"] for path in written} == {str(first), str(second)}


@pytest.mark.parametrize(("suffix", "with_video"), [(".wav", False), (".flac", False), (".mp3", False),
                                                     (".ogg", False), (".m4a", False), (".mkv", True),
                                                     (".mp4", True)])  # fmt: skip
def test_containers(pipeline: Pipeline, speech_like: np.ndarray, tmp_path: Path, suffix: str, with_video: bool) -> None:
    if with_video and video_codec() is None:
        pytest.skip("no video encoder in this PyAV build")
    audio = speech_at(speech_like, [1.0], 7.0)
    source = write_audio(tmp_path / f"input{suffix}", audio, with_video=with_video)
    out = tmp_path / "out"
    report = translate(pipeline, [source], output_folder=out)
    assert not report.failed, report.failed
    result = report.finished[0]
    assert result.duration == pytest.approx(7.0, abs=0.1)
    assert len(result.segments) == 1
    assert result.segments[0].text == GERMAN_TEXT
    assert 1.0 - VAD_PADDING <= result.segments[0].start <= 1.0 + VAD_PADDING
    assert files_under(out) == {f"input.{suffix}" for suffix in ALL_OUTPUTS}
    samples, rate = read_wav(out / "input.de.wav")
    assert abs(len(samples) - round(result.duration * rate)) <= 1


# --- long input, bounded memory ---------------------------------------------------------------------


@pytest.mark.slow
def test_long_input_decodes_in_bounded_memory(speech_like: np.ndarray, tmp_path: Path) -> None:
    minutes = 20
    bursts = {2: 10.0, 7: 30.0, 12: 5.0, 17: 45.0}  # minute -> second within it
    source = tmp_path / "long.wav"
    with wave.open(str(source), "wb") as track:
        track.setnchannels(1)
        track.setsampwidth(2)
        track.setframerate(SAMPLE_RATE)
        for minute in range(minutes):
            block = np.zeros(60 * SAMPLE_RATE, np.float32)
            if minute in bursts:
                begin = round(bursts[minute] * SAMPLE_RATE)
                block[begin : begin + len(speech_like)] = speech_like
            track.writeframes((np.clip(block, -1, 1) * 32767).astype("<i2").tobytes())
    whole_audio_bytes = minutes * 60 * SAMPLE_RATE * 4
    segmenter = SpeechSegmenter()
    audio = AudioFile(source)
    decoded = 0

    def chunks():  # type: ignore[no-untyped-def]
        nonlocal decoded
        for block in audio.blocks():
            decoded += len(block)
            yield from segmenter.push(block)
        yield from segmenter.flush()

    tracemalloc.start()
    try:
        windows = list(pack_windows(chunks(), 30.0))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert decoded == minutes * 60 * SAMPLE_RATE
    assert peak < 20_000_000, f"peak {peak / 1e6:.1f} MB while decoding {whole_audio_bytes / 1e6:.0f} MB of audio"
    starts = [chunk.start for window in windows for chunk in window.chunks]
    expected = [minute * 60 + second for minute, second in sorted(bursts.items())]
    assert len(starts) == len(expected)
    for start, burst in zip(starts, expected):
        assert burst - VAD_PADDING <= start <= burst + VAD_PADDING


# --- resuming ---------------------------------------------------------------------------------------


def test_skip_existing(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert not translate(pipeline, [jfk_path], output_folder=out).failed
    before = {path: path.stat().st_mtime_ns for path in out.iterdir()}
    events: list[Event] = []
    report = translate(pipeline, [jfk_path], events.append, output_folder=out, skip_existing=True)
    assert report.finished == [] and report.failed == []
    assert [skipped.path for skipped in report.skipped] == [jfk_path]
    assert events == report.skipped
    assert isinstance(events[0], FileSkipped) and "exist" in events[0].reason
    assert {path: path.stat().st_mtime_ns for path in out.iterdir()} == before


def test_skip_existing_redoes_a_file_with_a_missing_output(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    assert not translate(pipeline, [jfk_path], output_folder=out).failed
    (out / "jfk.de.srt").unlink()
    report = translate(pipeline, [jfk_path], output_folder=out, skip_existing=True)
    assert len(report.finished) == 1 and not report.skipped
    assert (out / "jfk.de.srt").is_file()


# --- failures: atomic outputs, bad inputs, bad settings ---------------------------------------------


def _fail_on_call(original: Callable[..., object], failing_call: int) -> Callable[..., object]:
    """Fault injection around a real model call: the `failing_call`-th call (1-based) raises."""
    calls = 0

    def wrapper(*args: object, **kwargs: object) -> object:
        nonlocal calls
        calls += 1
        if calls == failing_call:
            raise RuntimeError("injected fault")
        return original(*args, **kwargs)

    return wrapper


@pytest.mark.parametrize(("stage", "part", "method", "failing_call"), [
    ("translation", "translator", "translate", 1),
    ("synthesis", "synthesizer", "speak", 2),
])  # fmt: skip
def test_failure_mid_file_leaves_no_outputs(
    pipeline: Pipeline,
    speech_like: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    stage: str,
    part: str,
    method: str,
    failing_call: int,
) -> None:
    audio = speech_at(speech_like, [1.0, 8.0, 15.0], 21.0)
    broken = write_wav(tmp_path / "broken.wav", audio)
    good = write_wav(tmp_path / "good.wav", audio)
    target = getattr(pipeline, part)
    monkeypatch.setattr(target, method, _fail_on_call(getattr(target, method), failing_call))
    out = tmp_path / "out"
    events: list[Event] = []
    report = translate(pipeline, [broken, good], events.append, output_folder=out, window_seconds=5)
    assert [failed.path for failed in report.failed] == [broken]
    message = report.failed[0].message
    assert message.startswith(f"{stage} failed: ")
    assert "RuntimeError: injected fault" in message
    assert "\n" not in message
    assert [result.source for result in report.finished] == [good]
    assert len(report.finished[0].segments) == 3
    assert files_under(out) == {f"good.{suffix}" for suffix in ALL_OUTPUTS}
    assert not [path for path in out.rglob("*") if ".part" in path.name]
    assert [type(event) for event in events if not isinstance(event, (FileProgress, SegmentReady))] == [
        FileStarted,
        FileFailed,
        FileStarted,
        FileFinished,
    ]


def test_failed_rerun_keeps_the_previous_outputs(
    pipeline: Pipeline, jfk_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = tmp_path / "out"
    assert not translate(pipeline, [jfk_path], output_folder=out).failed
    before = {path.name: path.read_bytes() for path in out.iterdir()}
    monkeypatch.setattr(pipeline.translator, "translate", _fail_on_call(pipeline.translator.translate, 1))
    report = translate(pipeline, [jfk_path], output_folder=out)
    assert report.failed and report.failed[0].message.startswith("translation failed: ")
    assert {path.name: path.read_bytes() for path in out.iterdir()} == before


def _corrupt(folder: Path) -> Path:
    path = folder / "bad.mp3"
    path.write_bytes(np.random.default_rng(7).integers(0, 256, 20_000, dtype=np.uint8).tobytes())
    return path


def _text_as_wav(folder: Path) -> Path:
    path = folder / "notes.wav"
    path.write_text("This is a text file, not a recording.\n" * 40, encoding="utf-8")
    return path


def _empty(folder: Path) -> Path:
    path = folder / "empty.wav"
    path.write_bytes(b"")
    return path


def _video_only(folder: Path) -> Path:
    if video_codec() is None:
        pytest.skip("no video encoder in this PyAV build")
    return write_video_only(folder / "silent-film.mkv")


def _missing(folder: Path) -> Path:
    return folder / "missing.wav"


def _folder_without_audio(folder: Path) -> Path:
    path = folder / "documents"
    (path / "sub").mkdir(parents=True)
    (path / "readme.txt").write_text("no audio here")
    (path / "sub" / "picture.png").write_bytes(b"\x89PNG")
    return path


@pytest.mark.parametrize(("make", "expected"), [
    (_corrupt, "cannot decode"),
    (_text_as_wav, "cannot decode"),
    (_empty, "empty"),
    (_video_only, "no audio track"),
    (_missing, "no such file"),
    (_folder_without_audio, "no audio or video files"),
])  # fmt: skip
def test_bad_input_fails_alone(
    pipeline: Pipeline,
    speech_like: np.ndarray,
    tmp_path: Path,
    make: Callable[[Path], Path],
    expected: str,
) -> None:
    inputs = tmp_path / "inputs"
    inputs.mkdir()
    bad = make(inputs)
    good = write_wav(inputs / "good.wav", speech_at(speech_like, [0.5], 5.5))
    out = tmp_path / "out"
    events: list[Event] = []
    report = translate(pipeline, [bad, good], events.append, output_folder=out)
    assert [failed.path for failed in report.failed] == [bad]
    message = report.failed[0].message
    assert expected in message
    assert bad.name in message
    assert "\n" not in message and "Traceback" not in message
    assert [result.source for result in report.finished] == [good]
    assert files_under(out) == {f"good.{suffix}" for suffix in ALL_OUTPUTS}
    assert report.failed[0] in events
    assert isinstance(events[-1], FileFinished)


def test_unwritable_output_folder_raises(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    blocker = tmp_path / "file.txt"
    blocker.write_text("a regular file, so nothing can be created under it")
    settings = BatchSettings(target=GERMAN, output_folder=blocker / "out")
    with pytest.raises(TranslatorError, match="cannot write to"):
        BatchTranslator(pipeline, settings).run([jfk_path])


def test_read_only_output_folder_raises(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        if os.access(folder, os.W_OK):
            pytest.skip("running as root: a 0o500 folder is still writable")
        with pytest.raises(TranslatorError, match="cannot write to"):
            BatchTranslator(pipeline, BatchSettings(target=GERMAN, output_folder=folder)).run([jfk_path])
        assert list(folder.iterdir()) == []
    finally:
        folder.chmod(0o700)


def test_target_the_model_lacks(pipeline: Pipeline) -> None:
    with pytest.raises(UnsupportedLanguageError, match="Japanese"):
        BatchTranslator(pipeline, BatchSettings(target=find_language("ja")))


def test_source_the_model_lacks(pipeline: Pipeline) -> None:
    with pytest.raises(UnsupportedLanguageError, match="from Japanese"):
        BatchTranslator(pipeline, BatchSettings(target=GERMAN, source=find_language("ja")))


def test_given_source_language_is_used(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    report = translate(
        pipeline, [jfk_path], source=find_language("fr"), formats=frozenset({"json"}), output_folder=tmp_path
    )
    result = report.finished[0]
    assert result.source_language == "fr"
    assert result.language_probability is None
    assert result.segments[0].text == GERMAN_TEXT


def test_wav_without_a_voice_raises(pipeline: Pipeline) -> None:
    voiceless = Pipeline(pipeline.recognizer, pipeline.translator)
    with pytest.raises(TranslatorError, match="voice"):
        BatchTranslator(voiceless, BatchSettings(target=GERMAN))
    BatchTranslator(voiceless, BatchSettings(target=GERMAN, formats=frozenset({"srt"})))


def test_voice_in_another_language_than_the_target(pipeline: Pipeline) -> None:
    # The translation model covers French, but the loaded voice speaks German.
    with pytest.raises(UnsupportedLanguageError, match="speaks German"):
        BatchTranslator(pipeline, BatchSettings(target=find_language("fr")))


# --- cancelling -------------------------------------------------------------------------------------


def test_cancel_from_the_first_file_started(pipeline: Pipeline, jfk_path: Path, tmp_path: Path) -> None:
    second = write_wav(tmp_path / "second.wav", read_audio(jfk_path))
    third = write_wav(tmp_path / "third.wav", read_audio(jfk_path))
    out = tmp_path / "out"
    events: list[Event] = []

    def on_event(event: Event) -> None:
        events.append(event)
        if isinstance(event, FileStarted) and event.index == 0:
            batch.cancel()

    batch = BatchTranslator(pipeline, BatchSettings(target=GERMAN, output_folder=out), on_event)
    report = batch.run([jfk_path, second, third])
    assert report.finished == []
    assert [failed.path for failed in report.failed] == [jfk_path]
    assert "cancelled" in report.failed[0].message
    assert [(skipped.path, skipped.reason) for skipped in report.skipped] == [
        (second, "cancelled"),
        (third, "cancelled"),
    ]
    assert not any(isinstance(event, FileFinished) for event in events)
    assert [event.path for event in events if isinstance(event, FileStarted)] == [jfk_path]
    assert not out.exists() or files_under(out) == set()


def test_full_disk_fails_the_file_and_the_batch_goes_on(
    pipeline: Pipeline, jfk_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write = outputs.write_text_atomic
    calls = {"count": 0}

    def disk_full_once(path: Path, text: str) -> None:
        calls["count"] += 1
        if calls["count"] == 1:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        real_write(path, text)

    monkeypatch.setattr(outputs, "write_text_atomic", disk_full_once)
    second = tmp_path / "again.flac"
    second.write_bytes(jfk_path.read_bytes())
    report = translate(pipeline, [jfk_path, second], output_folder=tmp_path / "out", formats=frozenset({"txt"}))
    assert [failure.path for failure in report.failed] == [jfk_path]
    message = report.failed[0].message
    assert "No space left on device" in message and "free some space" in message and "\n" not in message
    assert [result.source for result in report.finished] == [second]


def test_a_bug_in_one_file_does_not_stop_the_batch(
    pipeline: Pipeline, jfk_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_render = outputs.render
    calls = {"count": 0}

    def broken_once(*args: object, **kwargs: object) -> str:
        calls["count"] += 1
        if calls["count"] == 1:
            raise KeyError("unexpected")
        return real_render(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(outputs, "render", broken_once)
    second = tmp_path / "again.flac"
    second.write_bytes(jfk_path.read_bytes())
    report = translate(pipeline, [jfk_path, second], output_folder=tmp_path / "out", formats=frozenset({"txt"}))
    assert len(report.failed) == 1 and "internal error (KeyError" in report.failed[0].message
    assert [result.source for result in report.finished] == [second]


def test_a_bug_inside_a_stage_is_logged_with_its_traceback_and_the_batch_goes_on(
    pipeline: Pipeline,
    jfk_path: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    real_transcribe = pipeline.recognizer.transcribe
    calls = {"count": 0}

    def broken_once(*args: object, **kwargs: object):  # the first file's recognition hits a bug
        calls["count"] += 1
        if calls["count"] == 1:
            raise RuntimeError("recogniser bug")
        return real_transcribe(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(pipeline.recognizer, "transcribe", broken_once)
    second = tmp_path / "again.flac"
    second.write_bytes(jfk_path.read_bytes())
    with caplog.at_level(logging.ERROR):
        report = translate(pipeline, [jfk_path, second], output_folder=tmp_path / "out", formats=frozenset({"txt"}))
    assert [failure.path for failure in report.failed] == [jfk_path]
    assert report.failed[0].message == "recognition failed: RuntimeError: recogniser bug"
    assert [result.source for result in report.finished] == [second]
    logged = [record for record in caplog.records if record.exc_info is not None]
    assert len(logged) == 1
    assert "recognition" in logged[0].getMessage() and str(jfk_path) in logged[0].getMessage()
    error = logged[0].exc_info[1]  # type: ignore[index]
    assert isinstance(error, RuntimeError) and str(error) == "recogniser bug"
