"""The utterance timeline's arithmetic and the rolling percentiles."""

from __future__ import annotations

import pytest

from translator.pipeline.timeline import RollingStats, UtteranceTimeline


def full_timeline(offset: float = 0.0) -> UtteranceTimeline:
    return UtteranceTimeline(
        utterance=1,
        speech_start=offset + 0.0,
        speech_end=offset + 2.0,
        recognition_start=offset + 2.1,  # speculative: before the end was confirmed
        end_confirmed=offset + 2.4,
        recognition_end=offset + 2.7,
        translation_start=offset + 2.75,
        translation_end=offset + 2.9,
        synthesis_start=offset + 2.95,
        first_audio=offset + 3.05,
        synthesis_end=offset + 3.2,
        first_played=offset + 3.1,
        playback_end=offset + 5.0,
    )


def test_stage_times_follow_from_the_timeline() -> None:
    timeline = full_timeline()
    assert timeline.end_wait == pytest.approx(0.4)
    assert timeline.recognition == pytest.approx(0.6)
    assert timeline.hidden_wait == pytest.approx(0.3)  # recognition ran 0.3 s of the 0.4 s wait
    assert timeline.translation == pytest.approx(0.15)
    assert timeline.queue_wait == pytest.approx(0.05 + 0.05)
    assert timeline.synthesis == pytest.approx(0.1)
    assert timeline.playback_wait == pytest.approx(0.05)
    assert timeline.speech_to_speech == pytest.approx(1.1)


def test_a_speculative_final_waiting_for_the_vad_is_not_a_queue_wait() -> None:
    timeline = full_timeline()
    timeline.recognition_end = 2.2  # done before the end was confirmed at 2.4
    timeline.translation_start = 2.41
    assert timeline.queue_wait == pytest.approx(0.01 + 0.05)


def test_missing_steps_give_none() -> None:
    timeline = UtteranceTimeline(utterance=2, speech_end=1.0, end_confirmed=1.4)
    assert timeline.end_wait == pytest.approx(0.4)
    assert timeline.recognition is None and timeline.speech_to_speech is None and timeline.hidden_wait is None


def test_rolling_percentiles_cover_the_window_only() -> None:
    stats = RollingStats(window=3)
    for first_played in (3.0, 3.5, 4.0, 4.5):  # speech ends at 2.0: 1.0, 1.5, 2.0, 2.5 s
        timeline = full_timeline()
        timeline.first_played = first_played
        stats.add(timeline)
    summary = stats.summary()["speech_to_speech"]
    assert summary.count == 3
    assert summary.p50 == pytest.approx(2.0)
    assert summary.p95 == pytest.approx(2.45)


def test_a_chain_run_ahead_of_the_end_is_hidden_and_held() -> None:
    timeline = UtteranceTimeline(
        utterance=3,
        speech_end=2.0,
        recognition_start=2.1,  # the whole chain ran while the VAD waited until 2.4
        recognition_end=2.2,
        translation_start=2.21,
        translation_end=2.26,
        synthesis_start=2.27,
        first_audio=2.3,
        end_confirmed=2.4,
        first_queued=2.41,  # held until the end was confirmed, then handed to the sink
        first_played=2.46,
    )
    assert timeline.hidden_wait == pytest.approx(0.1)
    assert timeline.hidden_work == pytest.approx(0.1 + 0.05 + 0.03)
    assert [timeline.hidden(stage) for stage in ("translation", "synthesis")] == pytest.approx([0.05, 0.03])
    assert timeline.held == pytest.approx(0.11)
    assert timeline.queue_wait == pytest.approx(0.01)  # only what came after the end counts as a queue wait
    assert timeline.playback_wait == pytest.approx(0.05)  # from the hand-over, not from when it was made
    assert timeline.speech_to_speech == pytest.approx(0.46)
    assert timeline.stage_seconds()["held"] == pytest.approx(0.11)


def test_work_after_the_end_hides_nothing() -> None:
    timeline = full_timeline()
    timeline.first_queued = timeline.first_audio
    assert timeline.hidden_work == pytest.approx(0.3)  # only the speculative recognition's part
    assert timeline.hidden("translation") == 0.0 and timeline.hidden("synthesis") == 0.0
    assert timeline.held == pytest.approx(0.0)
    assert timeline.playback_wait == pytest.approx(0.05)
