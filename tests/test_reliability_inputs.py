"""Hostile inputs (issue 15): every number held to its bounds up front, broken settings files and voice configs
named for what they are, damaged audio translated as far as it goes, odd file names and files that are not files,
and sound devices that vanish without PortAudio's own lines on the terminal."""

from __future__ import annotations

import json
import os
import shutil
import time
import warnings
from pathlib import Path

import av
import numpy as np
import pytest
from audio_files import write_audio

from bench.virtual_sound import VirtualSoundServer
from translator.audio.devices import AudioDeviceError
from translator.audio.files import SAMPLE_RATE, AudioFile, read_audio
from translator.audio.playback import SpeakerSink
from translator.audio.sources import EndOfStream, FileSource, MicrophoneSource
from translator.cli import main
from translator.config import max_cpu_threads


@pytest.fixture(autouse=True)
def no_user_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Never read the user's settings or write the user's log."""
    monkeypatch.setenv("TRANSLATOR_CONFIG", str(tmp_path / "absent.toml"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))


def run_main(arguments: list[str]) -> int:
    """main()'s exit status, whether it returns it or argparse exits."""
    try:
        return main(arguments)
    except SystemExit as exit_:
        return int(exit_.code or 0)


def error_line(err: str) -> str:
    """The one error line on stderr (argparse prints its usage before it), with no traceback."""
    assert "Traceback" not in err
    errors = [line for line in err.splitlines() if "error:" in line]
    assert len(errors) == 1, err
    return errors[0]


def batch(inputs: list[Path], config: Path, out: Path, *options: str) -> list[str]:
    return ["batch", *map(str, inputs), "--to", "de", "--config", str(config), "--out", str(out), "--quiet", *options]


def write_float_wav(path: Path, samples: np.ndarray) -> Path:
    """A 32-bit float WAV: the one common format that can hold NaN and infinities."""
    with av.open(str(path), "w", format="wav") as container:
        stream = container.add_stream("pcm_f32le", rate=SAMPLE_RATE, layout="mono")
        frame = av.AudioFrame.from_ndarray(samples.astype(np.float32).reshape(1, -1), format="flt", layout="mono")
        frame.sample_rate = SAMPLE_RATE
        for packet in [*stream.encode(frame), *stream.encode(None)]:
            container.mux(packet)
    return path


@pytest.fixture(scope="module")
def damaged_speech(jfk_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The first 4 s of real speech as a float WAV with NaN, +inf, -inf and absurdly loud samples in it."""
    samples = read_audio(jfk_path)[: 4 * SAMPLE_RATE].copy()
    samples[1000:1100] = np.nan
    samples[20000:20010] = np.inf
    samples[30000] = -np.inf
    samples[40000:40005] = 1e30
    return write_float_wav(tmp_path_factory.mktemp("damaged") / "damaged.wav", samples)


# Numbers: each option and settings key is checked before any model loads, and nothing is clamped.


BATCH_NUMBERS_OUT_OF_BOUNDS = [
    (["--threads", "100000"], f"to {max_cpu_threads()}"),
    (["--threads", "-1"], "from 0"),
    (["--beam-size", "0"], "from 1 to 20"),
    (["--beam-size", "-3"], "from 1 to 20"),
    (["--beam-size", "10000"], "from 1 to 20"),
    (["--max-speedup", "nan"], "from 1 to 3"),
    (["--max-speedup", "inf"], "from 1 to 3"),
    (["--max-speedup", "0"], "from 1 to 3"),
    (["--max-speedup", "-1"], "from 1 to 3"),
]


@pytest.mark.parametrize(
    ("arguments", "bound"), BATCH_NUMBERS_OUT_OF_BOUNDS, ids=[" ".join(case[0]) for case in BATCH_NUMBERS_OUT_OF_BOUNDS]
)
def test_batch_numbers_out_of_bounds_are_usage_errors(
    demo_folder: Path,
    jfk_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    arguments: list[str],
    bound: str,
) -> None:
    status = run_main(batch([jfk_path], demo_folder / "demo.toml", tmp_path / "out", *arguments))
    line = error_line(capsys.readouterr().err)
    assert status == 2
    assert f"argument {arguments[0]}: use a" in line and bound in line and arguments[1] in line
    assert not (tmp_path / "out").exists()  # refused before any work


@pytest.mark.parametrize(
    ("arguments", "option"),
    [
        (["live", "--to", "de", "--silence-ms", "0"], "--silence-ms"),
        (["live", "--to", "de", "--silence-ms", "99999999"], "--silence-ms"),
        (["live", "--to", "de", "--max-delay", "nan"], "--max-delay"),
        (["live", "--to", "de", "--max-delay", "-1"], "--max-delay"),
        (["live", "--to", "de", "--threads", "5000"], "--threads"),
        (["bench", "--repeats", "0"], "--repeats"),
        (["bench", "--warmup", "-1"], "--warmup"),
        (["bench", "--live-utterances", "0"], "--live-utterances"),
        (["bench", "--batch-minutes", "inf"], "--batch-minutes"),
    ],
)
def test_live_and_bench_numbers_out_of_bounds_are_usage_errors(
    capsys: pytest.CaptureFixture[str], arguments: list[str], option: str
) -> None:
    assert run_main(arguments) == 2
    line = error_line(capsys.readouterr().err)
    assert option in line and "use a" in line and arguments[-1] in line


@pytest.mark.parametrize("threads", [-1, 100000])
def test_cpu_threads_out_of_bounds_in_the_settings_file(
    tmp_path: Path, jfk_path: Path, demo_folder: Path, capsys: pytest.CaptureFixture[str], threads: int
) -> None:
    settings = tmp_path / "settings.toml"
    text = (demo_folder / "demo.toml").read_text(encoding="utf-8")
    settings.write_text(text.replace("[models]", f"[compute]\ncpu_threads = {threads}\n\n[models]"), encoding="utf-8")
    for name in ("whisper-demo", "nllb-demo", "voices"):
        (tmp_path / name).symlink_to(demo_folder / name)
    assert run_main(batch([jfk_path], settings, tmp_path / "out")) == 2
    line = error_line(capsys.readouterr().err)
    assert str(settings) in line and "cpu_threads" in line and f"to {max_cpu_threads()}" in line


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff\xfe[models]\nwhisper = 'x'\n", "it is not UTF-8 text (byte 0xff at offset 0)"),
        (bytes(range(256)) * 4, "it is not UTF-8 text (byte 0x80 at offset 128)"),
        (b"whisper = \n[[[", "it is not valid TOML (Invalid value (at line 1, column 11))"),
    ],
)
def test_a_settings_file_that_is_not_utf8_toml_is_a_usage_error(
    tmp_path: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str], content: bytes, problem: str
) -> None:
    settings = tmp_path / "settings.toml"
    settings.write_bytes(content)
    assert run_main(batch([jfk_path], settings, tmp_path / "out")) == 2
    line = error_line(capsys.readouterr().err)
    assert f"cannot read settings file {settings}: {problem}" in line


def test_models_dir_naming_a_file(tmp_path: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    not_a_folder = tmp_path / "models.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    for command in (["batch", str(jfk_path), "--to", "de"], ["models", "list"]):
        assert run_main([*command, "--models-dir", str(not_a_folder)]) == 2
        line = error_line(capsys.readouterr().err)
        assert "--models-dir" in line and f"{not_a_folder} is a file, not a folder" in line


def test_models_dir_variable_naming_a_file(
    tmp_path: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    not_a_folder = tmp_path / "models.txt"
    not_a_folder.write_text("x", encoding="utf-8")
    monkeypatch.setenv("TRANSLATOR_MODELS_DIR", str(not_a_folder))
    for command in (["batch", str(jfk_path), "--to", "de", "--out", str(tmp_path / "out")], ["models", "list"]):
        assert run_main(command) != 0
        line = error_line(capsys.readouterr().err)
        assert f"TRANSLATOR_MODELS_DIR: {not_a_folder} is a file, not a folder" in line and "unset it" in line
    assert not (tmp_path / "out").exists()  # refused before anything was made


# Damaged audio: translated as far as it goes, with one warning line, and no numpy warnings.


def test_non_finite_samples_are_replaced_by_silence_with_one_warning(
    damaged_speech: Path, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with warnings.catch_warnings(record=True) as caught:  # global: catches the stage threads' warnings too
        warnings.simplefilter("always")
        status = run_main(batch([damaged_speech], demo_folder / "demo.toml", tmp_path))
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert [str(warning.message) for warning in caught if issubclass(warning.category, RuntimeWarning)] == []
    lines = [line for line in captured.err.splitlines() if "warning" in line]
    assert lines == [
        f"translator: warning: {damaged_speech}: 116 samples were not audio (NaN, infinite, or over 100 times "
        "full scale) and were replaced by silence; the file may be damaged"
    ]
    result = json.loads((tmp_path / "damaged.de.json").read_text(encoding="utf-8"))
    assert result["source_language"] == "en"  # not the Marathi that NaN features were taken for
    assert result["warnings"] == [lines[0].removeprefix("translator: warning: ")]
    assert len(result["outputs"]) >= 8 and result["outputs"] == sorted(result["outputs"])  # not the set's order


def test_a_live_file_source_repairs_non_finite_samples_too(damaged_speech: Path) -> None:
    source = FileSource(damaged_speech, realtime=False)
    source.start()
    blocks = []
    with pytest.raises(EndOfStream):
        while (block := source.read(1.0)) is not None:
            blocks.append(block)
    audio = np.concatenate(blocks)
    assert len(audio) == 4 * SAMPLE_RATE and np.isfinite(audio).all() and np.abs(audio).max() < 2.0
    assert len(source.warnings) == 1 and "116 samples were not audio" in source.warnings[0]


def test_live_input_file_with_non_finite_samples_says_so_once(
    damaged_speech: Path, demo_folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    arguments = ["live", "--input-file", str(damaged_speech), "--to", "de", "--no-speech", "--quiet"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        status = run_main([*arguments, "--config", str(demo_folder / "demo.toml")])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert not [warning for warning in caught if issubclass(warning.category, RuntimeWarning)]
    assert [line for line in captured.err.splitlines() if "warning" in line] == [
        f"translator: warning: {damaged_speech}: 116 samples were not audio (NaN, infinite, or over 100 times "
        "full scale) and were replaced by silence; the file may be damaged"
    ]
    assert "[en]" in captured.out


def test_a_flac_cut_in_half_is_translated_up_to_the_cut(
    jfk_path: Path, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = jfk_path.read_bytes()
    cut = tmp_path / "cut.flac"
    cut.write_bytes(data[: len(data) // 2])
    status = run_main(batch([cut], demo_folder / "demo.toml", tmp_path / "out"))
    captured = capsys.readouterr()
    assert status == 0, captured.err
    warning = next(line for line in captured.err.splitlines() if "warning" in line)
    assert warning.startswith(f"translator: warning: {cut}: cannot decode past 5.")
    assert "the file is truncated or damaged; the audio before that is used" in warning
    result = json.loads((tmp_path / "out" / "cut.de.json").read_text(encoding="utf-8"))
    assert 5.0 < result["duration"] < 6.0 and result["segments"]


def test_damaged_audio_siblings(jfk_path: Path, tmp_path: Path) -> None:
    """An MP3 cut in half says it is shorter than its header; a FLAC cut inside its header or first frame is an
    error that says so, in words that are not doubled by the stage's own ("decoding failed: ...")."""
    speech = read_audio(jfk_path)
    mp3 = write_audio(tmp_path / "speech.mp3", speech)
    cut_mp3 = tmp_path / "cut.mp3"
    cut_mp3.write_bytes(mp3.read_bytes()[: mp3.stat().st_size // 2])
    audio = AudioFile(cut_mp3)
    decoded = sum(len(block) for block in audio.blocks()) / SAMPLE_RATE
    assert 5.0 < decoded < 6.0
    assert audio.warnings == [
        f"{cut_mp3}: holds {decoded:.1f} s of audio where its header says 11.0 s: the file is probably truncated; "
        "the audio it holds is used"
    ]
    complete = AudioFile(mp3)
    assert sum(len(block) for block in complete.blocks()) == len(speech) and complete.warnings == []

    flac = jfk_path.read_bytes()
    header_only = tmp_path / "header.flac"
    header_only.write_bytes(flac[:8192])
    with pytest.raises(Exception, match="the file ends before its first audio: it is truncated"):
        AudioFile(header_only)
    first_frame_cut = tmp_path / "first-frame.flac"
    first_frame_cut.write_bytes(flac[:10000])
    with pytest.raises(Exception, match=r"first-frame.flac: Invalid data found .*; the file may be truncated") as e:
        list(AudioFile(first_frame_cut).blocks())
    assert "decoding failed" not in str(e.value)  # the stage's error adds it once


def test_a_flac_cut_in_its_first_frame_names_decoding_once(
    jfk_path: Path, demo_folder: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.flac"
    cut.write_bytes(jfk_path.read_bytes()[:10000])
    assert run_main(batch([cut], demo_folder / "demo.toml", tmp_path / "out")) == 1
    failures = [line for line in capsys.readouterr().err.splitlines() if "failed" in line and str(cut) in line]
    assert len(failures) == 1 and failures[0].count("decoding failed") == 1, failures


# Files that are not files, and names that are not one line.


def test_a_fifo_device_or_folder_is_reported_for_what_it_is(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.wav"
    os.mkfifo(fifo)
    status = run_main(batch([fifo, Path("/dev/null"), jfk_path], demo_folder / "demo.toml", tmp_path / "out"))
    err = capsys.readouterr().err
    assert status == 1
    failures = [line for line in err.splitlines() if line.startswith("translator: failed:")]
    assert failures == [
        f"translator: failed: {fifo}: it is a named pipe (FIFO), not a regular file: save the audio to a file "
        "and give that instead",
        "translator: failed: /dev/null: it is a device, not a regular file: save the audio to a file and give that "
        "instead",
    ]
    for source, kind in ((fifo, "a named pipe (FIFO)"), (tmp_path, "a folder")):
        live = ["live", "--input-file", str(source), "--to", "de", "--no-speech", "--config"]
        assert run_main([*live, str(demo_folder / "demo.toml")]) == 2
        assert f"{source}: it is {kind}" in error_line(capsys.readouterr().err)


def test_control_characters_in_file_names_keep_every_message_on_one_line(
    tmp_path: Path, demo_folder: Path, jfk_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    odd = tmp_path / "two\nlines\x1b[31m.flac"
    shutil.copy(jfk_path, odd)
    missing = tmp_path / "no\nsuch.wav"
    status = run_main(batch([odd, missing], demo_folder / "demo.toml", tmp_path / "out"))
    captured = capsys.readouterr()
    assert status == 1
    assert "\x1b" not in captured.out + captured.err
    table = captured.out.splitlines()
    assert table[0].startswith("file") and table[1].startswith(r"two\nlines\x1b[31m.flac  11.0s")
    assert table[2] == "1 translated, 0 skipped, 1 failed"
    assert [line for line in captured.err.splitlines() if "failed" in line] == [
        f"translator: failed: {tmp_path}/no\\nsuch.wav: no such file or folder"
    ]


# Voices whose config is missing, corrupt or of the wrong shape.


@pytest.mark.parametrize(
    ("config", "problem"),
    [
        (None, "voice {voice} is incomplete: de_DE-demo-x_low.onnx.json is missing beside it"),
        (b"{not json", "the voice config {voice}.json is not valid JSON (Expecting property name"),
        (b"\xff\xfe{}", "the voice config {voice}.json is not UTF-8 text: reinstall the voice"),
        (b"[1, 2]", "the voice config {voice}.json is not a Piper voice config (it holds an array, not an object)"),
        (b'{"language": "de"}', "is not a Piper voice config ('audio.sample_rate' is missing)"),
        (
            b'{"audio": {"sample_rate": "22050"}}',
            "is not a Piper voice config ('audio.sample_rate' must be a whole number, not a string)",
        ),
    ],
)
def test_a_broken_voice_config_is_named_not_reported_as_no_voice(
    demo_folder: Path,
    jfk_path: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config: bytes | None,
    problem: str,
) -> None:
    voices = tmp_path / "voices"
    shutil.copytree(demo_folder / "voices", voices)
    voice = voices / "de_DE-demo-x_low.onnx"
    config_path = Path(f"{voice}.json")
    config_path.unlink()
    if config is not None:
        config_path.write_bytes(config)
    for chosen in (voices, voice):  # a folder searched for German, and the file itself
        assert run_main([*batch([jfk_path], demo_folder / "demo.toml", tmp_path / "out"), "--voice", str(chosen)]) == 2
        line = error_line(capsys.readouterr().err)
        assert problem.format(voice=voice) in line
        assert "no German voice" not in line


# Sound devices that vanish: our one line, and nothing of PortAudio's own on the terminal.


def test_a_vanishing_sound_server_prints_nothing_of_portaudios_own(
    tmp_path: Path, virtual_sound: VirtualSoundServer, capfd: pytest.CaptureFixture[str]
) -> None:
    doomed = VirtualSoundServer(tmp_path / "doomed")
    previous = os.environ["PULSE_SERVER"]
    os.environ["PULSE_SERVER"] = doomed.server  # the ALSA pulse plugin connects when a stream opens
    try:
        microphone, speaker = MicrophoneSource("pulse"), SpeakerSink("pulse")
        microphone.start()
        speaker.start()
    finally:
        os.environ["PULSE_SERVER"] = previous
    try:
        assert microphone.read(2.0) is not None
        doomed.stop()
        deadline = time.monotonic() + 30
        with pytest.raises(AudioDeviceError, match="input device 'pulse' stopped"):
            while time.monotonic() < deadline:
                microphone.read(0.2)
        with pytest.raises(AudioDeviceError, match="output device 'pulse' stopped"):
            while time.monotonic() < deadline:
                speaker.play(1, np.zeros(160, np.float32), 16000)
                time.sleep(0.05)  # pacing the polling only; the assertion waits on the error
    finally:
        microphone.stop()
        speaker.stop()
        doomed.stop()
    err = capfd.readouterr().err
    assert "Expression" not in err and "pa_linux_alsa.c" not in err and "ALSA lib" not in err, err
