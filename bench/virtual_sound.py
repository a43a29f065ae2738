"""A real, paced virtual sound card for tests and benchmarks: a private PulseAudio server with a null sink and source.

PortAudio reaches it through ALSA's pulse plugin. `loopback()` makes the sink's monitor the default
source, so what a test plays is what it records.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

SETUP_HINT = "run ./scripts/test.sh, which installs pulseaudio, or: sudo apt install pulseaudio libportaudio2"


class VirtualSoundServer:
    def __init__(self, folder: Path) -> None:
        if shutil.which("pulseaudio") is None or shutil.which("pactl") is None:
            raise RuntimeError(f"pulseaudio is not installed: {SETUP_HINT}")
        self.runtime = folder / "runtime"
        self.runtime.mkdir(parents=True, mode=0o700)
        (folder / "home").mkdir()
        self.server = f"unix:{self.runtime}/pulse/native"
        self._environment = {**os.environ, "HOME": str(folder / "home"), "XDG_RUNTIME_DIR": str(self.runtime)}
        self._environment.pop("PULSE_SERVER", None)
        subprocess.run(
            [
                "pulseaudio",
                "-D",
                "-n",
                "--exit-idle-time=-1",
                "--log-target=stderr",
                "--load=module-native-protocol-unix auth-anonymous=1",
                "--load=module-null-sink sink_name=nullsink",
                "--load=module-null-source source_name=nullsrc",
                "--load=module-always-sink",
            ],  # fmt: skip
            env=self._environment,
            check=True,
            capture_output=True,
            timeout=30,
        )
        deadline = time.monotonic() + 10
        while self.pactl("info").returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError("the virtual PulseAudio server did not start")
            time.sleep(0.05)

    def pactl(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["pactl", *arguments], env={**self._environment, "PULSE_SERVER": self.server},
            capture_output=True, text=True, timeout=10,
        )  # fmt: skip

    def loopback(self) -> None:
        """Record what is played: the null sink's monitor becomes the default source."""
        self.pactl("set-default-source", "nullsink.monitor").check_returncode()

    def silence_input(self) -> None:
        """Record silence: the null source becomes the default source."""
        self.pactl("set-default-source", "nullsrc").check_returncode()

    def stop(self) -> None:
        pid_file = self.runtime / "pulse" / "pid"
        if pid_file.exists():
            with contextlib.suppress(ProcessLookupError, ValueError):
                os.kill(int(pid_file.read_text().split()[0]), signal.SIGTERM)


@contextlib.contextmanager
def serving_as_default(server: VirtualSoundServer) -> Iterator[VirtualSoundServer]:
    """Make `server` this process's sound devices (PortAudio rescans), then stop it and restore the previous ones."""
    from translator.audio.devices import refresh_devices

    previous = os.environ.get("PULSE_SERVER")
    os.environ["PULSE_SERVER"] = server.server
    refresh_devices()
    try:
        yield server
    finally:
        server.stop()
        if previous is None:
            os.environ.pop("PULSE_SERVER", None)
        else:
            os.environ["PULSE_SERVER"] = previous
        refresh_devices()
