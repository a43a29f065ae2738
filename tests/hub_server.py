"""A local stand-in for the Hugging Face Hub, for tests of the real huggingface_hub client.

It answers what `hf_hub_download` and `get_hf_file_metadata` ask of huggingface_hub 2.x: HEAD and GET
of `/{repo}/resolve/{revision}/{path}`, with the headers the client reads (`X-Repo-Commit`, `ETag`
holding the file's SHA-256 as the Hub does for LFS files, `Content-Length`), byte ranges
(`Range: bytes=N-` gets a 206), and the Hub's `X-Error-Code` on a 404. Faults are injected per file:
cut the connection after N bytes once, or answer one GET with an error status.

`demo_hub(folder)` lays out the project's demo models as Hub repositories and writes a catalog
for them, the way the real catalog describes real models.
"""

from __future__ import annotations

import hashlib
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

DEMO_REVISION = "0123456789abcdef0123456789abcdef01234567"

# Where no Hub answers (the discard port): the tests' stand-in for having no network.
CLOSED_ENDPOINT = "http://127.0.0.1:9"


@dataclass(frozen=True)
class Request:
    method: str
    repo: str
    path: str
    range: str | None


@dataclass
class LocalHub:
    """Serves `files[(repo, revision, path)]`; records every request; stops with `stop()`."""

    files: dict[tuple[str, str, str], bytes] = field(default_factory=dict)
    cut_after: dict[str, int] = field(default_factory=dict)  # path -> bytes sent before the first GET is cut
    fail_once: dict[str, int] = field(default_factory=dict)  # path -> HTTP status of its first GET
    announce_size: dict[str, int] = field(default_factory=dict)  # path -> size HEAD reports instead of the real one
    requests: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        hub = self

        class Handler(BaseHTTPRequestHandler):
            def do_HEAD(self) -> None:  # noqa: N802 (http.server's naming)
                hub._answer(self, body=False)

            def do_GET(self) -> None:  # noqa: N802
                hub._answer(self, body=True)

            def log_message(self, format: str, *args: object) -> None:  # noqa: A002
                pass  # quiet: tests read `requests` instead

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-hub", daemon=True)
        self._thread.start()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def stop(self) -> None:
        if self._thread.is_alive():  # at interpreter exit the daemon thread may already be gone
            self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)

    def gets(self, repo: str, path: str) -> list[Request]:
        """The GET requests made for one file of one repository."""
        with self._lock:
            return [r for r in self.requests if r.method == "GET" and (r.repo, r.path) == (repo, path)]

    def _answer(self, handler: BaseHTTPRequestHandler, body: bool) -> None:
        parts = unquote(handler.path.split("?", 1)[0]).lstrip("/").split("/")
        with self._lock:
            self.requests.append(
                Request(handler.command, "/".join(parts[:2]), "/".join(parts[4:]), handler.headers.get("Range"))
            )
            status = self.fail_once.pop("/".join(parts[4:]), None) if body else None
            cut = self.cut_after.pop("/".join(parts[4:]), None) if body else None
        if len(parts) < 5 or parts[2] != "resolve":
            return self._error(handler, 404, "RepoNotFound")
        repo, revision, path = "/".join(parts[:2]), parts[3], "/".join(parts[4:])
        if not any(key[0] == repo for key in self.files):
            return self._error(handler, 404, "RepoNotFound")
        if not any(key[:2] == (repo, revision) for key in self.files):
            return self._error(handler, 404, "RevisionNotFound")
        content = self.files.get((repo, revision, path))
        if content is None:
            return self._error(handler, 404, "EntryNotFound", revision)
        if status is not None:
            return self._error(handler, status, None, revision)
        start = 0
        requested = handler.headers.get("Range")
        if requested and requested.startswith("bytes=") and body:
            start = int(requested[len("bytes=") :].split("-", 1)[0])
        handler.send_response(206 if start else 200)
        handler.send_header("Content-Type", "application/octet-stream")
        announced = self.announce_size.get(path) if not body else None
        handler.send_header("Content-Length", str(announced or len(content) - start))
        handler.send_header("ETag", f'"{hashlib.sha256(content).hexdigest()}"')
        handler.send_header("X-Repo-Commit", revision)
        handler.send_header("Accept-Ranges", "bytes")
        if start:
            handler.send_header("Content-Range", f"bytes {start}-{len(content) - 1}/{len(content)}")
        handler.end_headers()
        if not body:
            return
        if cut is not None:
            handler.wfile.write(content[start : start + cut])
            handler.wfile.flush()
            handler.close_connection = True
            handler.connection.shutdown(socket.SHUT_RDWR)  # the client sees the body end early
            return
        handler.wfile.write(content[start:])

    @staticmethod
    def _error(handler: BaseHTTPRequestHandler, status: int, code: str | None, revision: str | None = None) -> None:
        message = b'{"error": "local hub"}'
        handler.send_response(status)
        if code:
            handler.send_header("X-Error-Code", code)
        if revision:
            handler.send_header("X-Repo-Commit", revision)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Content-Length", str(len(message)))
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(message)


def _entry(path: str, content: bytes, checks: str) -> dict[str, object]:
    """A catalog file entry; `checks` picks what the catalog knows: "sha256", "md5", "size" or "sha256-only"."""
    entry: dict[str, object] = {"path": path, "size": None if checks == "sha256-only" else len(content)}
    if checks in ("sha256", "sha256-only"):
        entry["sha256"] = hashlib.sha256(content).hexdigest()
    elif checks == "md5":
        entry["md5"] = hashlib.md5(content).hexdigest()
    return entry


def demo_hub(demo_folder: Path) -> tuple[dict[tuple[str, str, str], bytes], dict[str, object]]:
    """The demo models as Hub files, and a catalog of them (with a profile and four voices).

    The catalog's files show every way an entry can be checked: by SHA-256, by MD5 (the voices,
    as piper-voices publishes), by a SHA-256 with the size unknown, and by size alone (then by the
    SHA-256 the Hub sends).
    """
    files: dict[tuple[str, str, str], bytes] = {}
    models: list[dict[str, object]] = []
    languages = ["en", "de", "fr", "es"]

    def add(model_id: str, repo: str, folder: Path, checks: dict[str, str], **fields: object) -> None:
        entries = []
        for child in sorted(folder.iterdir()):
            content = child.read_bytes()
            files[(repo, DEMO_REVISION, child.name)] = content
            entries.append(_entry(child.name, content, checks.get(child.name, "sha256")))
        models.append(
            {"id": model_id, "name": model_id, "repo": repo, "revision": DEMO_REVISION, "files": entries,
             "licence": "MIT", "licence_url": "https://example.invalid/licence", **fields}
        )  # fmt: skip

    add("demo-whisper", "demo/whisper", demo_folder / "whisper-demo", {"DEMO_MODEL.txt": "size"},
        stage="recognition", family="whisper", languages=languages, tier="fast")  # fmt: skip
    add("demo-nllb", "demo/nllb", demo_folder / "nllb-demo", {"config.json": "sha256-only"},
        stage="translation", family="nllb", sources=languages, targets=languages, tier="balanced")  # fmt: skip
    add("opus-mt-en-de-demo", "demo/opus-mt-en-de", demo_folder / "opus-mt-en-de-demo", {},
        stage="translation", family="opus-mt", sources=["en"], targets=["de"], tier="fast")  # fmt: skip
    for onnx in sorted((demo_folder / "voices").glob("*.onnx")):
        locale = onnx.name.split("-")[0]
        entries = []
        for source in (onnx, onnx.with_name(onnx.name + ".json")):
            path = f"{locale[:2]}/{locale}/demo/x_low/{source.name}"
            files[("demo/voices", DEMO_REVISION, path)] = source.read_bytes()
            entries.append(_entry(path, source.read_bytes(), "md5"))
        models.append(
            {"id": onnx.stem, "stage": "synthesis", "family": "piper", "name": onnx.stem, "repo": "demo/voices",
             "revision": DEMO_REVISION, "files": entries, "locale": locale, "quality": "x_low", "speakers": 1,
             "tier": "fast", "licence": "MIT", "licence_url": "https://example.invalid/licence"}
        )  # fmt: skip
    profile = {"recognition": "demo-whisper", "translation": ["demo-nllb"], "voice_quality": ["x_low", "low"]}
    catalog = {
        "format": 1,
        "profiles": [
            {"name": "fast", "description": "demo", **profile},
            {"name": "balanced", "description": "demo", **profile},
        ],
        "models": models,
        "no_voice": [],
    }
    return files, catalog


def write_catalog(catalog: dict[str, object], path: Path) -> Path:
    path.write_text(json.dumps(catalog, indent=1), encoding="utf-8")
    return path


@dataclass(frozen=True)
class HubFixture:
    hub: LocalHub
    catalog_path: Path


def running_hub(
    files: dict[tuple[str, str, str], bytes], catalog: dict[str, object], folder: Path
) -> Iterator[HubFixture]:
    """A started hub serving `files`, and `catalog` written under `folder`; stopped when the generator ends."""
    hub = LocalHub(files=dict(files))
    try:
        yield HubFixture(hub, write_catalog(catalog, folder / "catalog.json"))
    finally:
        hub.stop()
