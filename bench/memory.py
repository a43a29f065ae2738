"""Run by `measure_memory` in a fresh process: load a profile's three models, run them once, print JSON
with the peak resident memory and each load's seconds."""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
from pathlib import Path

from translator.compute import ComputeSettings
from translator.stages.recognition import RecognizerSettings, SpeechRecognizer
from translator.stages.segmentation import SpeechChunk, Window
from translator.stages.synthesis import SpeechSynthesizer, SynthesizerSettings
from translator.stages.translation import TextTranslator, TranslatorSettings


def main(argv: list[str]) -> None:
    from bench.measure import ENGLISH, GERMAN, utterance_audio

    whisper, translation, voice_path, device, compute_type = argv
    compute = ComputeSettings(device, compute_type)
    with tempfile.TemporaryDirectory() as scratch:
        audio = utterance_audio(Path(scratch))
    loads = {}
    started = time.perf_counter()
    recognizer = SpeechRecognizer(RecognizerSettings(Path(whisper), beam_size=1), compute)
    loads["recognition"] = time.perf_counter() - started
    started = time.perf_counter()
    translator = TextTranslator(TranslatorSettings(Path(translation), beam_size=1), compute)
    loads["translation"] = time.perf_counter() - started
    started = time.perf_counter()
    voice = SpeechSynthesizer(SynthesizerSettings(Path(voice_path)), GERMAN)
    loads["synthesis"] = time.perf_counter() - started
    window = Window((SpeechChunk(0, audio),), audio)
    text = " ".join(segment.text for segment in recognizer.transcribe(window, ENGLISH))
    voice.speak(translator.translate([text], ENGLISH, GERMAN)[0])
    print(json.dumps({"peak_megabytes": peak_megabytes(), "load_seconds": loads}))


def peak_megabytes() -> float:
    """This process's peak resident memory. On Linux ru_maxrss survives exec (a child started from a big
    parent reports the parent's size), so the kernel's high-water mark of this program's own memory is read."""
    status = Path("/proc/self/status")
    if status.is_file():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    # ru_maxrss is in bytes on macOS.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / (1024 * 1024 if sys.platform == "darwin" else 1024)


if __name__ == "__main__":
    main(sys.argv[1:])
