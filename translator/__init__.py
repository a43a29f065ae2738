"""Offline speech-to-speech translation: faster-whisper, CTranslate2 translation and Piper voices.

The core library. It knows nothing of any user interface: the command line and the desktop app both
drive it through the same classes and events.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("offline-speech-translator")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
