"""Live audio out: a real PortAudio output stream on the virtual sound card, and the real-time WAV writer.

What a SpeakerSink plays is recorded back through the null sink's monitor; marks are collected from the
sink's forwarder thread through a queue.
"""

from __future__ import annotations

import os
import queue
import time
import wave
from pathlib import Path

import numpy as np
import pytest
from test_sources import DEADLINE, Recorder, dominant_frequency, tone

from bench.virtual_sound import VirtualSoundServer
from translator.audio.devices import AudioDeviceError
from translator.audio.files import SAMPLE_RATE
from translator.audio.playback import SpeakerSink, WavFileSink
from translator.audio.schedule import PlaybackMark, SpeechSchedule
from translator.audio.sources import MicrophoneSource


def next_mark(marks: queue.Queue[PlaybackMark], timeout: float = DEADLINE) -> PlaybackMark:
    return marks.get(timeout=timeout)


def read_wav(path: Path) -> tuple[np.ndarray, int]:
    with wave.open(str(path), "rb") as track:
        frames = track.readframes(track.getnframes())
        return np.frombuffer(frames, "<i2").astype(np.float32) / 32767.0, track.getframerate()


# The speaker.


def test_speaker_plays_the_tone_and_marks_when_it_is_heard(virtual_sound: VirtualSoundServer) -> None:
    virtual_sound.loopback()
    marks: queue.Queue[PlaybackMark] = queue.Queue()
    with Recorder(MicrophoneSource()) as monitor:
        # The null sink renders in 2 s periods while idle: once the monitor delivers, it runs steadily.
        assert monitor.first_block.wait(DEADLINE)
        sink = SpeakerSink()
        sink.add_mark_listener(marks.put)
        assert sink.name == "default"
        sink.start()
        try:
            assert not sink.busy
            sink.play(1, tone(440, 1.0, 22050), 22050)
            sink.finish_utterance(1)
            assert sink.busy
            started = next_mark(marks)
            assert (started.utterance_id, started.kind) == (1, "started")
            assert sink.busy
            finished = next_mark(marks)
            assert (finished.utterance_id, finished.kind) == (1, "finished")
            assert not sink.busy
            assert time.monotonic() >= finished.time  # a mark is handed over once it has happened
            heard_until = len(monitor.audio())
        finally:
            sink.stop()
    assert 0.7 <= finished.time - started.time <= 1.6
    recorded = monitor.audio()[:heard_until]
    loud = np.flatnonzero(np.abs(recorded) > 0.25)
    assert len(loud) > 0.5 * SAMPLE_RATE, "the played tone was not recorded"
    assert abs(dominant_frequency(recorded[loud[0] : loud[-1]]) - 440) <= 10
    assert isinstance(sink.underflows, int) and sink.underflows >= 0
    assert marks.empty()


def test_dropping_queued_speech_still_finishes_the_utterance(virtual_sound: VirtualSoundServer) -> None:
    marks: queue.Queue[PlaybackMark] = queue.Queue()
    sink = SpeakerSink("pulse")
    sink.add_mark_listener(marks.put)
    sink.start()
    try:
        assert sink.drop_queued() == 0.0
        sink.play(2, tone(440, 10.0, 16000), 16000)
        sink.finish_utterance(2)
        assert next_mark(marks).kind == "started"
        dropped = sink.drop_queued()
        assert 7.0 < dropped <= 10.0
        finished = next_mark(marks)
        assert (finished.utterance_id, finished.kind) == (2, "finished")
        assert not sink.busy
    finally:
        sink.stop()
        sink.stop()
    sink.play(3, tone(440, 1.0, 16000), 16000)  # after stop: ignored
    assert not sink.busy


def test_unknown_output_device_is_an_audio_device_error(virtual_sound: VirtualSoundServer) -> None:
    with pytest.raises(AudioDeviceError, match="no audio output device matches 'no-such-speaker'"):
        SpeakerSink("no-such-speaker")


def test_a_vanishing_speaker_fails_play(tmp_path: Path, virtual_sound: VirtualSoundServer) -> None:
    doomed = VirtualSoundServer(tmp_path / "doomed")
    previous = os.environ["PULSE_SERVER"]
    os.environ["PULSE_SERVER"] = doomed.server  # the ALSA pulse plugin connects when a stream opens
    try:
        sink = SpeakerSink("pulse")
        sink.start()
    finally:
        os.environ["PULSE_SERVER"] = previous
    try:
        sink.play(1, tone(440, 0.1, 16000), 16000)
        doomed.stop()
        deadline = time.monotonic() + DEADLINE
        with pytest.raises(AudioDeviceError, match="output device 'pulse' stopped"):
            while time.monotonic() < deadline:
                sink.play(1, np.zeros(160, np.float32), 16000)
                time.sleep(0.05)  # pacing the polling only; the assertion waits on the error
    finally:
        sink.stop()
        doomed.stop()


# The WAV file.


def test_wav_sink_writes_what_a_listener_would_hear(tmp_path: Path) -> None:
    path = tmp_path / "out" / "speech.wav"
    marks: queue.Queue[PlaybackMark] = queue.Queue()
    sink = WavFileSink(path, 22050)
    sink.add_mark_listener(marks.put)
    assert sink.name == "speech.wav"
    before = time.monotonic()
    sink.start()
    after = time.monotonic()
    time.sleep(0.5)  # the scenario: half a second of silence before the speech
    played_at = time.monotonic()
    sink.play(7, tone(440, 1.0, 22050), 22050)
    sink.finish_utterance(7)
    assert sink.busy
    started, finished = next_mark(marks), next_mark(marks)
    assert (started.kind, finished.kind) == ("started", "finished")
    assert {started.utterance_id, finished.utterance_id} == {7}
    assert not sink.busy
    assert not path.exists()  # written under a temporary name until stop()
    stopped = time.monotonic()
    sink.stop()
    sink.stop()
    samples, rate = read_wav(path)
    assert rate == 22050
    assert before - 0.05 <= stopped - len(samples) / rate <= after + 0.05  # as long as the wall time
    onset = np.flatnonzero(np.abs(samples) > 0.1)[0] / rate
    assert abs(onset - (played_at - before)) < 0.2
    assert started.time >= played_at  # nothing is heard before it was queued
    assert abs(started.time - before - onset) < 0.05
    assert abs(finished.time - started.time - 1.0) < 0.01
    speech = samples[round(onset * rate) : round((onset + 1.0) * rate)]
    assert abs(dominant_frequency(speech, rate) - 440) <= 2
    assert sink.underflows == 0


def test_wav_sink_finishes_every_utterance_it_is_told_to(tmp_path: Path) -> None:
    path = tmp_path / "speech.wav"
    marks: queue.Queue[PlaybackMark] = queue.Queue()
    sink = WavFileSink(path, 16000)
    sink.add_mark_listener(marks.put)
    sink.start()
    try:
        sink.finish_utterance(1)  # nothing was queued for it: finished at once, never started
        assert next_mark(marks).kind == "finished"
        sink.play(2, tone(440, 10.0, 16000), 16000)
        sink.finish_utterance(2)
        assert next_mark(marks).kind == "started"
        assert 9.0 < sink.drop_queued() <= 10.0
        finished = next_mark(marks)
        assert (finished.utterance_id, finished.kind) == (2, "finished")
        assert not sink.busy
        # Dropped while still being synthesised: it finishes when it is told it is complete.
        sink.play(3, tone(440, 10.0, 16000), 16000)
        assert sink.drop_queued() > 9.0
        sink.finish_utterance(3)
        mark = next_mark(marks)
        if mark.kind == "started":  # a tick may have written the first of it before the drop
            mark = next_mark(marks)
        assert (mark.utterance_id, mark.kind) == (3, "finished")
    finally:
        sink.stop()
    assert path.exists()


def test_wav_sink_stopped_before_it_started_writes_nothing(tmp_path: Path) -> None:
    sink = WavFileSink(tmp_path / "never.wav")
    sink.stop()
    sink.stop()
    assert not (tmp_path / "never.wav").exists()
    assert list(tmp_path.iterdir()) == []


def test_a_late_pull_never_plays_speech_before_it_was_queued() -> None:
    # The file sink's pacing thread can run late on a busy CPU; the block it then writes starts in the past.
    facts: queue.SimpleQueue[tuple[int, str, float] | None] = queue.SimpleQueue()
    schedule = SpeechSchedule(16000, facts)
    speech = tone(440, 0.5, 16000)
    before = time.monotonic()
    schedule.add(7, speech)
    after = time.monotonic()
    block = np.zeros(16000, np.float32)
    block_start = before - 0.25
    schedule.pull(block, block_start)
    fact = facts.get_nowait()
    assert fact is not None
    utterance_id, kind, started = fact
    assert (utterance_id, kind) == (7, "started") and before <= started <= after + 1 / 16000
    onset = round((started - block_start) * 16000)
    assert not block[:onset].any()
    assert np.array_equal(block[onset : onset + len(speech)], speech)
