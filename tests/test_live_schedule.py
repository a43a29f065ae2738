"""Which recognition pass runs next, and when a running one is no longer worth finishing."""

from __future__ import annotations

import numpy as np

from translator.audio.files import SAMPLE_RATE
from translator.languages import find_language
from translator.pipeline.live_events import LiveSettings
from translator.pipeline.live_schedule import PassKind, RecognitionSchedule, SessionCounts
from translator.stages.live_segmentation import UtteranceEnded, UtterancePaused, UtteranceResumed, UtteranceStarted

GERMAN = find_language("de")
SPEECH = np.zeros(SAMPLE_RATE, np.float32)  # a second: enough for an interim pass


def schedule_with_a_speaker() -> RecognitionSchedule:
    schedule = RecognitionSchedule(LiveSettings(target=GERMAN), SessionCounts(), lambda ids: None)
    schedule.apply(UtteranceStarted(0, 0), float, now=0.0)
    schedule.open_audio = SPEECH
    schedule.next_interim = 0.0
    return schedule


def test_an_interim_pass_stops_when_the_speaker_pauses() -> None:
    schedule = schedule_with_a_speaker()
    interim = schedule.next_pass()
    assert interim is not None and interim.kind is PassKind.INTERIM
    schedule.pass_started(interim)
    assert schedule.still_wanted(interim)

    schedule.apply(UtterancePaused(0, SPEECH, len(SPEECH)), float, now=1.0)

    assert not schedule.still_wanted(interim)  # the speculative final is more urgent
    schedule.pass_abandoned(interim)
    assert schedule.counts.passes_abandoned == 1
    speculative = schedule.next_pass()
    assert speculative is not None and speculative.kind is PassKind.SPECULATIVE
    assert schedule.still_wanted(speculative)


def test_an_interim_pass_stops_when_the_utterance_ends() -> None:
    schedule = schedule_with_a_speaker()
    interim = schedule.next_pass()
    assert interim is not None
    schedule.apply(UtteranceEnded(0, SPEECH, 0, len(SPEECH)), float, now=1.0)
    assert not schedule.still_wanted(interim)
    final = schedule.next_pass()
    assert final is not None and final.kind is PassKind.FINAL and schedule.still_wanted(final)


def test_a_speculative_pass_stops_when_speech_resumes_and_its_utterance_is_passed_again() -> None:
    schedule = schedule_with_a_speaker()
    schedule.apply(UtterancePaused(0, SPEECH, len(SPEECH)), float, now=1.0)
    speculative = schedule.next_pass()
    assert speculative is not None and speculative.kind is PassKind.SPECULATIVE
    schedule.pass_started(speculative)
    assert schedule.next_pass() is None  # in flight

    schedule.apply(UtteranceResumed(0), float, now=1.2)
    assert not schedule.still_wanted(speculative)
    schedule.pass_abandoned(speculative)

    schedule.apply(UtterancePaused(0, np.concatenate([SPEECH, SPEECH]), 2 * len(SPEECH)), float, now=2.0)
    again = schedule.next_pass()
    assert again is not None and again.kind is PassKind.SPECULATIVE and len(again.audio) == 2 * len(SPEECH)
