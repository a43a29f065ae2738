"""The dubbed recording (the "video" format), with the real demo models and PyAV reading the files back: its
streams, languages, durations and subtitles, the voice-over mix, audio-only inputs and bad inputs."""

from __future__ import annotations

import re
import threading
import tracemalloc
from dataclasses import replace
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from audio_files import write_audio, write_video_only, write_wav

from translator.audio.files import SAMPLE_RATE, read_audio
from translator.audio.mixing import MixSettings
from translator.audio.track_languages import track_language
from translator.audio.video import plan_media, read_mix, write_dubbed_media
from translator.cli import main
from translator.errors import TranslatorError
from translator.languages import LANGUAGES, find_language
from translator.models.demo.translation import DEMO_TRANSLATIONS
from translator.models.demo.whisper import DEMO_TRANSCRIPT
from translator.pipeline.batch import BatchReport, BatchSettings, BatchTranslator, Pipeline
from translator.pipeline.results import FileResult, Segment, StageTimes
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings

GERMAN = find_language("de")
SECONDS = 7.0  # one segment: the demo voice speaks its sentence in its first 4.4 s, the speaker goes on after


@pytest.fixture(scope="module")
def pipeline(demo_folder: Path) -> Pipeline:
    return Pipeline(
        SpeechRecognizer(RecognizerSettings(demo_folder / "whisper-demo", beam_size=1)),
        TextTranslator(TranslatorSettings(demo_folder / "nllb-demo")),
        SpeechSynthesizer(SynthesizerSettings(demo_folder / "voices"), GERMAN),
    )


@pytest.fixture(scope="module")
def speech(jfk_path: Path) -> np.ndarray:
    """Seven seconds of real speech."""
    return read_audio(jfk_path)[: round(SECONDS * SAMPLE_RATE)]


@pytest.fixture(scope="module")
def talk(speech: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An MP4 with a small video stream and the speech as its AAC audio track."""
    return write_audio(tmp_path_factory.mktemp("talk") / "talk.mp4", speech, with_video=True)


def translate(pipeline: Pipeline, path: Path, out: Path, formats: set[str], mix: MixSettings) -> BatchReport:
    settings = BatchSettings(target=GERMAN, output_folder=out, formats=frozenset(formats), mix=mix)
    return BatchTranslator(pipeline, settings).run([path])


@pytest.fixture(scope="module")
def dubbed(pipeline: Pipeline, talk: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FileResult]:
    out = tmp_path_factory.mktemp("dubbed")
    report = translate(pipeline, talk, out, {"json", "wav", "video"}, MixSettings())
    assert not report.failed, report.failed
    return out, report.finished[0]


@pytest.fixture(scope="module")
def voice_over(pipeline: Pipeline, talk: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, FileResult]:
    out = tmp_path_factory.mktemp("voice-over")
    report = translate(pipeline, talk, out, {"wav", "video"}, MixSettings(voice_over=True, duck_db=18))
    assert not report.failed, report.failed
    return out, report.finished[0]


def packets(path: Path, kind: str, index: int = 0) -> list[av.Packet[Any]]:
    with av.open(str(path)) as container:
        stream = getattr(container.streams, kind)[index]
        return [packet for packet in container.demux(stream) if packet.size]


def track(path: Path, index: int) -> np.ndarray:
    """Audio track `index` of `path`, decoded to 16 kHz mono."""
    resampler = av.AudioResampler(format="flt", layout="mono", rate=SAMPLE_RATE)
    with av.open(str(path)) as container:
        frames = container.decode(container.streams.audio[index])
        return np.concatenate([part.to_ndarray().reshape(-1) for frame in frames for part in resampler.resample(frame)])


def rms(samples: np.ndarray, start: float, end: float) -> float:
    return float(np.sqrt(np.mean(samples[round(start * SAMPLE_RATE) : round(end * SAMPLE_RATE)] ** 2)))


def subtitles(path: Path, index: int, mp4: bool) -> list[tuple[float, str]]:
    """(start, text) of each cue of subtitle track `index`; an MP4 cue starts with its length, and gaps are empty."""
    cues = []
    for packet in packets(path, "subtitles", index):
        data = bytes(packet)[2:] if mp4 else bytes(packet)
        if data:
            cues.append((float((packet.pts or 0) * packet.time_base), data.decode()))
    return cues


def test_the_dubbed_video_holds_every_track_tagged_with_its_language(
    dubbed: tuple[Path, FileResult], talk: Path
) -> None:
    out, result = dubbed
    mkv, mp4 = out / "talk.de.mkv", out / "talk.de.mp4"
    assert {mkv, mp4} <= set(result.outputs) and not result.warnings
    (segment,) = result.segments
    with av.open(str(talk)) as source:
        video_codec, audio_codec = source.streams.video[0].codec.name, source.streams.audio[0].codec.name
    for path, languages, mp4_file in ((mkv, ("ger", "eng"), False), (mp4, ("deu", "eng"), True)):
        with av.open(str(path)) as container:
            assert [stream.type for stream in container.streams] == ["video", "audio", "audio", "subtitle", "subtitle"]
            video, dub, original, translation, transcript = container.streams
            assert video.codec.name == video_codec
            assert (dub.language, original.language) == languages
            assert (translation.language, transcript.language) == languages
            assert dub.disposition & av.stream.Disposition.default
            assert not original.disposition & av.stream.Disposition.default
            assert original.codec.name == audio_codec
            assert container.duration / av.time_base == pytest.approx(SECONDS, abs=0.15)
        # Copied, not re-encoded: every packet of the picture and of the original sound is there, as it was.
        assert [bytes(p) for p in packets(path, "video")] == [bytes(p) for p in packets(talk, "video")]
        assert [bytes(p) for p in packets(path, "audio", 1)] == [bytes(p) for p in packets(talk, "audio")]
        for index, text in ((0, DEMO_TRANSLATIONS["de"]), (1, DEMO_TRANSCRIPT)):
            ((start, cue),) = subtitles(path, index, mp4_file)
            assert cue == text and start == pytest.approx(segment.start, abs=0.002)
        # The main track is the dub track, as long as the input.
        main, dub_track = track(path, 0), read_audio(out / "talk.de.wav")
        assert len(main) / SAMPLE_RATE == pytest.approx(SECONDS, abs=0.05)
        length = min(len(main), len(dub_track))
        assert rms(main[:length] - dub_track[:length], 0, SECONDS) < 0.1 * rms(dub_track, 0, SECONDS)
    assert read_mix(mkv) == MixSettings(voice_over=False)


def test_a_voice_over_lowers_the_original_while_the_translation_speaks(voice_over: tuple[Path, FileResult]) -> None:
    out, result = voice_over
    (segment,) = result.segments
    assert segment.dub_start is not None and segment.dub_end is not None
    speaking = (segment.dub_start + 0.3, segment.dub_end - 0.3)
    after = (segment.dub_end + 0.5, SECONDS - 0.1)
    assert after[1] - after[0] > 1.0  # the original speaker goes on after the translation has stopped
    main, original = track(out / "talk.de.mkv", 0), track(out / "talk.de.mkv", 1)
    dub_track = read_audio(out / "talk.de.wav")
    length = min(len(main), len(original), len(dub_track))
    under = main[:length] - dub_track[:length]  # what is left of the original in the mix
    assert rms(under, *speaking) / rms(original, *speaking) == pytest.approx(10 ** (-18 / 20), abs=0.08)
    assert rms(under, *after) / rms(original, *after) == pytest.approx(1.0, abs=0.1)
    assert read_mix(out / "talk.de.mkv") == MixSettings(voice_over=True, duck_db=18)


def test_an_audio_only_input_gets_audio_containers_without_a_speech_track_file(
    pipeline: Pipeline, speech: np.ndarray, tmp_path: Path
) -> None:
    source = write_audio(tmp_path / "memo.m4a", speech)
    out = tmp_path / "out"
    report = translate(pipeline, source, out, {"srt", "video"}, MixSettings())
    assert not report.failed, report.failed
    # The speech track was only a means to the video: no wav, and no temporary left behind.
    assert {path.name for path in out.iterdir()} == {"memo.transcript.srt", "memo.de.srt", "memo.de.mka", "memo.de.m4a"}
    for path in (out / "memo.de.mka", out / "memo.de.m4a"):
        with av.open(str(path)) as container:
            assert [stream.type for stream in container.streams] == ["audio", "audio", "subtitle", "subtitle"]
            assert container.duration / av.time_base == pytest.approx(SECONDS, abs=0.15)
        assert len(track(path, 0)) / SAMPLE_RATE == pytest.approx(SECONDS, abs=0.05)


def write_webm(path: Path, speech: np.ndarray) -> Path:
    """VP8 video and Opus sound: both go into Matroska; VP8 does not go into MP4."""
    with av.open(str(path), "w") as container:
        video = container.add_stream("libvpx", rate=5)
        video.width, video.height, video.pix_fmt = 32, 32, "yuv420p"
        audio = container.add_stream("libopus", rate=48000, layout="mono")
        resampler = av.AudioResampler(format="s16", layout="mono", rate=48000, frame_size=960)
        samples = av.AudioFrame.from_ndarray(speech.reshape(1, -1), format="flt", layout="mono")
        samples.sample_rate = SAMPLE_RATE
        for frame in resampler.resample(samples):
            container.mux(audio.encode(frame))
        container.mux(audio.encode(None))
        for index in range(round(len(speech) / SAMPLE_RATE * 5)):
            image = av.VideoFrame.from_ndarray(np.full((32, 32, 3), index * 7 % 256, np.uint8), format="rgb24")
            picture = image.reformat(format="yuv420p")
            picture.pts = index
            container.mux(video.encode(picture))
        container.mux(video.encode(None))
    return path


def test_codecs_mp4_cannot_take_fall_back_to_matroska_and_say_so(
    pipeline: Pipeline, speech: np.ndarray, tmp_path: Path
) -> None:
    source = write_webm(tmp_path / "clip.webm", speech)
    out = tmp_path / "out"
    report = translate(pipeline, source, out, {"video"}, MixSettings(voice_over=True))
    assert not report.failed, report.failed
    assert {path.name for path in out.iterdir()} == {"clip.de.mkv"}
    (warning,) = report.finished[0].warnings
    assert "\n" not in warning and "vp8" in warning and "cannot go into MP4" in warning
    with av.open(str(out / "clip.de.mkv")) as container:
        assert [stream.codec.name for stream in container.streams.audio][1] == "opus"
        assert container.streams.audio[0].layout.name == "mono"


def test_a_video_without_sound_fails_in_one_line_and_leaves_the_old_outputs(pipeline: Pipeline, tmp_path: Path) -> None:
    source = write_video_only(tmp_path / "silent.mp4")
    out = tmp_path / "out"
    out.mkdir()
    (out / "silent.de.mkv").write_bytes(b"a previous run's video")
    report = translate(pipeline, source, out, {"video"}, MixSettings())
    (failed,) = report.failed
    assert "no audio track" in failed.message and "\n" not in failed.message
    assert [path.name for path in out.iterdir()] == ["silent.de.mkv"]
    assert (out / "silent.de.mkv").read_bytes() == b"a previous run's video"


def result_for(source: Path, seconds: float) -> FileResult:
    segment = Segment(0, 0.5, 1.5, "Hello there.", "Hallo.", -0.1, 0.01)
    return FileResult(source, seconds, "en", None, "de", (segment,), {}, StageTimes(), demo=False)


def test_a_codec_matroska_cannot_hold_is_encoded_and_a_missing_track_is_one_line(tmp_path: Path) -> None:
    source = tmp_path / "old.wav"
    with av.open(str(source), "w", format="wav") as container:  # Microsoft ADPCM: Matroska has no tag for it
        stream = container.add_stream("adpcm_ms", rate=SAMPLE_RATE, layout="mono")
        samples = av.AudioFrame.from_ndarray(np.zeros((1, SAMPLE_RATE * 2), np.int16), format="s16", layout="mono")
        samples.sample_rate = SAMPLE_RATE
        container.mux(stream.encode(samples))
        container.mux(stream.encode(None))
    dub = write_wav(tmp_path / "dub.wav", np.zeros(SAMPLE_RATE * 2, np.float32))
    plan = plan_media(source, tmp_path / "old", "de")
    assert list(plan.paths) == ["video"] and plan.note is not None and "adpcm_ms" in plan.note
    with pytest.raises(TranslatorError, match="dub track is missing") as missing:
        write_dubbed_media(result_for(source, 2.0), tmp_path / "absent.wav", plan.paths)
    assert "\n" not in str(missing.value) and not plan.paths["video"].exists()
    write_dubbed_media(result_for(source, 2.0), dub, plan.paths)
    with av.open(str(plan.paths["video"])) as container:
        dub_stream, original = container.streams.audio
        assert (original.codec.name, original.language, original.layout.name) == ("aac", "eng", "mono")


def test_a_stopped_mux_leaves_nothing_behind(dubbed: tuple[Path, FileResult], tmp_path: Path) -> None:
    out, result = dubbed
    paths = plan_media(result.source, tmp_path / "talk", "de").paths
    stop = threading.Event()
    stop.set()
    with pytest.raises(TranslatorError, match="cancelled"):
        write_dubbed_media(result, out / "talk.de.wav", paths, stop=stop)
    assert list(tmp_path.iterdir()) == []


def test_every_language_has_a_track_tag_and_a_mixed_recording_is_tagged_mul(
    dubbed: tuple[Path, FileResult], tmp_path: Path
) -> None:
    for language in LANGUAGES:
        for container in ("matroska", "mp4"):
            tag = track_language(language.code, container)
            assert re.fullmatch("[a-z]{3}", tag) and tag != "und", language
    assert (track_language("de", "matroska"), track_language("de", "mp4")) == ("ger", "deu")
    out, result = dubbed
    halves = (replace(result.segments[0], end=3.0), replace(result.segments[0], start=3.5, language="de"))
    paths = plan_media(result.source, tmp_path / "talk", "de").paths
    write_dubbed_media(replace(result, segments=halves), out / "talk.de.wav", paths)
    with av.open(str(paths["video"])) as container:
        transcript = container.streams.subtitles[1]
        assert transcript.language == "mul" and transcript.metadata["title"].startswith("English and German")


def test_a_long_recording_is_muxed_in_bounded_memory(speech: np.ndarray, tmp_path: Path) -> None:
    long_speech = np.tile(speech, 4)
    seconds = len(long_speech) / SAMPLE_RATE
    source = write_audio(tmp_path / "long.mkv", long_speech, with_video=True)
    speaking = (np.arange(len(long_speech)) / SAMPLE_RATE) % 8 < 4  # the translation speaks half the time
    dub = write_wav(tmp_path / "dub.wav", np.roll(long_speech, SAMPLE_RATE) * speaking)
    paths = plan_media(source, tmp_path / "long", "de").paths
    tracemalloc.start()
    try:
        write_dubbed_media(result_for(source, seconds), dub, paths, MixSettings(voice_over=True))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # A sound track held whole at 48 kHz would be 5.4 MB of float32; the gain curve is 11 KB.
    assert peak < 2_000_000
    with av.open(str(paths["video"])) as container:
        assert container.duration / av.time_base == pytest.approx(seconds, abs=0.2)


def test_the_command_line_makes_a_voice_over_and_refuses_mix_options_without_the_video(
    talk: Path, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    args = ["batch", str(talk), "--to", "de", "--config", str(demo_folder / "demo.toml"), "--quiet"]
    out = tmp_path / "out"
    for wrong, expected in (
        (["--formats", "srt", "--mix", "voice-over"], "add video to --formats"),
        (["--formats", "video", "--duck-db", "12"], "add --mix voice-over"),
    ):
        assert main([*args, "--out", str(out), *wrong]) == 2
        errors = [line for line in capsys.readouterr().err.splitlines() if "error" in line]
        assert len(errors) == 1 and expected in errors[0], errors
    assert not out.exists()
    assert main([*args, "--out", str(out), "--formats", "video", "--mix", "voice-over", "--duck-db", "24"]) == 0
    assert {path.name for path in out.iterdir()} == {"talk.de.mkv", "talk.de.mp4"}
    assert read_mix(out / "talk.de.mkv") == MixSettings(voice_over=True, duck_db=24)
