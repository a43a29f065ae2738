"""Where and in what precision the models run.

`auto` follows what CTranslate2 reports about this machine: a CUDA device if it sees one, and on it
int8_float16 (else float16); int8 on the CPU.
"""

from __future__ import annotations

from dataclasses import dataclass

import ctranslate2

from translator.errors import Remedy, TranslatorError

DEVICES = ("auto", "cpu", "cuda")
_PREFERRED = {"cpu": ("int8", "int8_float32", "float32"), "cuda": ("int8_float16", "float16", "int8", "float32")}


@dataclass(frozen=True)
class ComputeSettings:
    """How the CTranslate2 models run.

    device: "auto", "cpu" or "cuda".
    compute_type: "auto" or a CTranslate2 compute type ("int8", "float16", "int8_float16", ...).
    cpu_threads: threads per model on the CPU (the voice's ONNX Runtime included); 0 lets each library choose.
    """

    device: str = "auto"
    compute_type: str = "auto"
    cpu_threads: int = 0


@dataclass(frozen=True)
class ResolvedCompute:
    device: str
    compute_type: str
    cpu_threads: int


def resolve_compute(settings: ComputeSettings) -> ResolvedCompute:
    """Turn `auto` choices into a concrete device and compute type this machine supports."""
    if settings.device not in DEVICES:
        raise TranslatorError(f"unknown device '{settings.device}': use one of {', '.join(DEVICES)}")
    cuda_devices = ctranslate2.get_cuda_device_count()
    device = settings.device
    if device == "auto":
        device = "cuda" if cuda_devices > 0 else "cpu"
    elif device == "cuda" and cuda_devices == 0:
        raise TranslatorError(
            "no CUDA device is visible to CTranslate2: install the CUDA 12 runtime", remedy=Remedy.RUN_ON_CPU
        )
    supported = ctranslate2.get_supported_compute_types(device)
    compute_type = settings.compute_type
    if compute_type == "auto":
        compute_type = next(t for t in _PREFERRED[device] if t in supported)
    elif compute_type not in supported:
        raise TranslatorError(
            f"compute type '{compute_type}' is not supported on {device}: use one of {', '.join(sorted(supported))}"
        )
    return ResolvedCompute(device, compute_type, max(settings.cpu_threads, 0))
