"""Serving a notebook with Voilà on 127.0.0.1 for the browser tests (a helper, not a test)."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import nbformat

START_TIMEOUT = 90.0  # Voilà on 2 busy cores can take a while to answer the first time


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def serve_voila(folder: Path, notebook: str, env: dict[str, str]) -> Iterator[str]:
    """Serve ``folder/notebook`` with Voilà on 127.0.0.1; yield its URL; always stop it."""
    port = _free_port()
    log = (folder / "voila.log").open("w")
    voila = shutil.which("voila", path=str(Path(sys.executable).parent)) or "voila"
    proc = subprocess.Popen(
        [
            voila,
            notebook,
            f"--port={port}",
            "--no-browser",
            "--Voila.ip=127.0.0.1",
            "--Voila.tornado_settings={'autoreload': False}",
        ],
        # the kernel must be this environment's python, whatever PATH says
        cwd=folder,
        env={
            **os.environ,
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            **env,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/"
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if proc.poll() is not None:
                raise RuntimeError(
                    f"voila exited with {proc.returncode}; see {folder / 'voila.log'}"
                )
            try:
                httpx.get(url + "api/status", timeout=2.0)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError(
                        f"voila did not answer within {START_TIMEOUT:.0f} s"
                    ) from None
                time.sleep(0.25)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
        log.close()


def write_notebook(path: Path, cells: list[str]) -> None:
    """A notebook with these code cells and a python3 kernel, as Voilà expects."""
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(src) for src in cells]
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nbformat.write(nb, path)
