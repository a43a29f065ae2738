"""Write python3-deps.json: the Flatpak module that installs the app's Python dependencies from PyPI wheels.

    python packaging/flatpak/pip_sources.py [--python 3.12] [--arch x86_64 aarch64]

pip resolves the project's dependencies for the runtime's Python and glibc (the freedesktop 24.08 runtime:
Python 3.12, glibc 2.40) without installing anything, once per architecture, and reports each wheel's URL
and SHA-256; a wheel that differs by architecture is fetched only on its own. setuptools comes too: the
project is built with it, offline, inside the build sandbox. Run it again whenever a dependency changes.
It plays the part of flatpak-pip-generator, which builds from source distributions where this app needs
the upstream wheels (CTranslate2, onnxruntime, PySide6 and PyAV bundle their native libraries).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = Path(__file__).with_name("python3-deps.json")
PYPI_FILES = "https://files.pythonhosted.org/packages/"


def platform_tags(arch: str, glibc_minor: int) -> list[str]:
    """The manylinux tags a runtime with glibc 2.`glibc_minor` accepts, newest first."""
    tags = [f"manylinux_2_{minor}_{arch}" for minor in range(glibc_minor, 16, -1)]
    return [*tags, f"manylinux2014_{arch}"]


def resolve(python: str, arch: str, glibc_minor: int) -> dict[str, str]:
    """{wheel URL: sha256} of every wheel the project needs on `arch`, as pip resolves them."""
    abi = "cp" + python.replace(".", "")
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed", "--quiet", "--report", "-"]
    command += ["--only-binary=:all:", "--python-version", python, "--implementation", "cp"]
    command += ["--abi", abi, "--abi", "abi3", "--abi", "none"]
    for tag in platform_tags(arch, glibc_minor):
        command += ["--platform", tag]
    with tempfile.TemporaryDirectory() as target:
        command += ["--target", target, str(ROOT), "setuptools>=69"]
        report = json.loads(subprocess.run(command, check=True, capture_output=True, text=True).stdout)
    wheels = {}
    for item in report["install"]:
        download = item["download_info"]
        if download["url"].startswith("file:") and "archive_info" not in download:
            continue  # the project itself, built from the checkout
        wheels[pypi_url(download["url"])] = download["archive_info"]["hashes"]["sha256"]
    return wheels


def pypi_url(url: str) -> str:
    """The wheel's address on PyPI; a copy from a local mirror is named by PyPI's python-tag/name path."""
    if url.startswith(PYPI_FILES):
        return url
    filename = url.rsplit("/", 1)[-1]
    name, _version, python_tag = filename.split("-")[:3]
    return f"{PYPI_FILES}{python_tag}/{name[0]}/{name}/{filename}"


def module(by_arch: dict[str, dict[str, str]]) -> dict[str, object]:
    """The flatpak-builder module: every wheel for the building architecture, installed without an index."""
    sources = []
    everywhere = set.intersection(*(set(wheels) for wheels in by_arch.values()))
    for url in sorted({url for wheels in by_arch.values() for url in wheels}, key=lambda url: url.rsplit("/", 1)[-1]):
        arches = [arch for arch, wheels in by_arch.items() if url in wheels]
        sha256 = by_arch[arches[0]][url]
        source: dict[str, object] = {"type": "file", "url": url, "sha256": sha256}
        if url not in everywhere:
            source["only-arches"] = arches
        sources.append(source)
    install = 'pip3 install --no-index --no-deps --find-links="file://${PWD}" --prefix=${FLATPAK_DEST} *.whl'
    return {"name": "python3-deps", "buildsystem": "simple", "build-commands": [install], "sources": sources}


def main(argv: list[str] | None = None) -> int:
    """Resolve for each architecture and write the module; returns the exit status."""
    parser = argparse.ArgumentParser(description="Write the Flatpak module of the app's Python wheels.")
    parser.add_argument("--python", default="3.12", help="the runtime's Python (default: 3.12, freedesktop 24.08)")
    parser.add_argument("--glibc-minor", type=int, default=40, help="the runtime's glibc 2.N (default: 40)")
    parser.add_argument("--arch", nargs="+", default=["x86_64", "aarch64"], help="architectures to build for")
    parser.add_argument("--output", type=Path, default=OUTPUT, help=f"default: {OUTPUT.name} beside this script")
    arguments = parser.parse_args(argv)
    by_arch = {arch: resolve(arguments.python, arch, arguments.glibc_minor) for arch in arguments.arch}
    arguments.output.write_text(json.dumps(module(by_arch), indent=2) + "\n", encoding="utf-8")
    print(f"{arguments.output}: {sum(len(w) for w in by_arch.values())} wheels for {', '.join(arguments.arch)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
