"""Where a batch runs: the address the user gives, Ray itself (the optional `cluster` extra) and the connection.

Ray is imported here and nowhere at module level, so the app runs without it; every failure to have it or to
reach a cluster is one line that says what to do.
"""

from __future__ import annotations

import contextlib
import importlib
import logging
import os
import re
import socket
from dataclasses import dataclass
from typing import Any

from translator.errors import TranslatorError

RAY_MISSING = (
    "running on a cluster needs Ray, which is not installed: pip install -e '.[cluster]' "
    "(or pip install 'ray[client]>=2.9')"
)
ADDRESS_FORMS = "auto, ray://HOST:PORT or local[:N]"
_CLIENT = re.compile(r"ray://(?P<host>\[[^\]]+\]|[^:/\s]+):(?P<port>\d{1,5})/?")
_LOCAL = re.compile(r"local(?::(?P<workers>\d+))?")
# A cluster that does not answer within this is taken as unreachable, rather than waiting out Ray's own retries
# (about 30 s for Ray Client).
_PROBE_SECONDS = 5.0


class ClusterUnavailableError(TranslatorError):
    """Ray is not installed, or the cluster cannot be reached."""


@dataclass(frozen=True)
class ClusterAddress:
    """Where the workers run.

    kind: "auto" (the cluster Ray finds: $RAY_ADDRESS, else one `ray start --head` began on this computer),
      "client" (Ray Client at ray://host:port) or "local" (a Ray instance started here for this batch).
    workers: for "local", how many workers (None: one per two cores).
    """

    kind: str
    host: str = ""
    port: int = 0
    workers: int | None = None

    @classmethod
    def parse(cls, text: str) -> ClusterAddress:
        """An address as the user writes it; anything else is a one-line error naming the forms."""
        text = text.strip()
        if text == "auto":
            return cls("auto")
        if client := _CLIENT.fullmatch(text):
            port = int(client["port"])
            if 0 < port < 65536:
                return cls("client", client["host"].strip("[]"), port)
        if local := _LOCAL.fullmatch(text):
            workers = int(local["workers"]) if local["workers"] else None
            if workers is None or workers > 0:
                return cls("local", workers=workers)
        raise TranslatorError(f"unknown cluster address '{text}': use {ADDRESS_FORMS}")

    def __str__(self) -> str:
        if self.kind == "client":
            host = f"[{self.host}]" if ":" in self.host else self.host
            return f"ray://{host}:{self.port}"
        if self.kind == "local":
            return "local" if self.workers is None else f"local:{self.workers}"
        return self.kind


def import_ray() -> Any:
    """The `ray` module, or ClusterUnavailableError saying how to install it."""
    try:
        return importlib.import_module("ray")
    except ImportError as error:
        if error.name is not None and error.name.split(".")[0] in ("ray", "grpc"):
            raise ClusterUnavailableError(RAY_MISSING) from None
        raise


@dataclass
class Connection:
    """This process's connection to Ray. `owned`: made for this batch (closed after it), rather than one the
    process had already made, which it keeps."""

    ray: Any
    owned: bool

    def close(self) -> None:
        if self.owned:
            self.ray.shutdown()


def connect(address: ClusterAddress, local_cpus: int) -> Connection:
    """Connect to the cluster at `address` (for "local", start one here with `local_cpus` CPUs). A process that
    has already connected to Ray itself (a notebook, the tests) runs its batches on that connection."""
    ray = import_ray()
    if address.kind == "client":
        _probe(address.host, address.port, str(address))
    elif address.kind == "auto":
        _probe_environment_address()
    if ray.is_initialized():
        return Connection(ray, owned=False)
    # Ray's own log lines (token authentication, workers it restarts) go to the log, not over the progress bar.
    quiet = {"log_to_driver": False, "logging_level": logging.ERROR, "configure_logging": False}
    try:
        if address.kind == "local":
            ray.init(num_cpus=local_cpus, include_dashboard=False, **quiet)
        elif address.kind == "auto":
            ray.init(address="auto", **quiet)
        else:
            ray.init(address=str(address), **quiet)
    except ConnectionError as error:
        if address.kind == "auto":
            raise ClusterUnavailableError(
                "no Ray cluster was found ($RAY_ADDRESS is not set and none was started on this computer with "
                "ray start --head): start one, give its ray://HOST:PORT, or use local to run on this computer"
            ) from None
        raise _unreachable(str(address), first_line(error)) from None
    except (RuntimeError, TimeoutError) as error:
        raise _unreachable(str(address), first_line(error)) from None
    # Ray prints a worker's death on the driver's stdout, over the progress bar; the batch reports it itself.
    with contextlib.suppress(ImportError, AttributeError):
        setattr(importlib.import_module("ray._private.worker"), "_worker_logs_enabled", False)  # noqa: B010
    return Connection(ray, owned=True)


def _probe_environment_address() -> None:
    """`auto` with $RAY_ADDRESS naming a cluster: check that it answers before Ray retries for minutes."""
    named = os.environ.get("RAY_ADDRESS", "").strip()
    if not named or named == "auto":
        return
    match = re.fullmatch(r"(?:ray://)?(?P<host>\[[^\]]+\]|[^:/\s]+):(?P<port>\d{1,5})/?", named)
    if match is None:
        raise ClusterUnavailableError(f"$RAY_ADDRESS is '{named}', not HOST:PORT or ray://HOST:PORT: correct it")
    _probe(match["host"].strip("[]"), int(match["port"]), named)


def _probe(host: str, port: int, shown: str) -> None:
    try:
        with socket.create_connection((host, port), timeout=_PROBE_SECONDS):
            pass
    except socket.gaierror:
        raise _unreachable(shown, f"no host is called {host}") from None
    except TimeoutError:
        raise _unreachable(shown, f"no answer within {_PROBE_SECONDS:g} s") from None
    except OSError as error:
        raise _unreachable(shown, (error.strerror or str(error)).lower()) from None


def _unreachable(shown: str, reason: str) -> ClusterUnavailableError:
    return ClusterUnavailableError(
        f"cannot reach the Ray cluster at {shown} ({reason}): start it (ray start --head on its head node) "
        "and check the address, or use local to run on this computer"
    )


def first_line(error: BaseException) -> str:
    """The first line of an error's message (Ray's run to tracebacks), or its type's name."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
