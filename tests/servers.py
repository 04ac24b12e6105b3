"""Real app servers on loopback for tests: ``streamlit run`` in a subprocess, stopped afterwards."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    """A TCP port free on 127.0.0.1 just now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def app_server(
    home: Path,
    *,
    script: str = "serve.py",
    log: Path | None = None,
    options: dict[str, str] | None = None,
    env: dict[str, str] | None = None,
) -> Iterator[tuple[str, subprocess.Popen]]:
    """Run the app from ``script`` with ``GAPMAP_HOME=home``; yield its URL (with any base path) and process."""
    port = free_port()
    args = [sys.executable, "-m", "streamlit", "run", script, "--server.port", str(port)]
    args += ["--server.address", "127.0.0.1", "--server.headless", "true"]
    for key, value in (options or {}).items():
        args += [f"--{key}", value]
    home.mkdir(parents=True, exist_ok=True)
    out = (log or home / "server.log").open("wb")
    environment = {**os.environ, "GAPMAP_HOME": str(home), **(env or {})}
    proc = subprocess.Popen(args, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, env=environment)
    base = (options or {}).get("server.baseUrlPath", "").strip("/")
    url = f"http://127.0.0.1:{port}" + (f"/{base}" if base else "")
    try:
        for _ in range(240):
            if proc.poll() is not None:
                raise RuntimeError(f"streamlit exited: {(log or home / 'server.log').read_text()[-2000:]}")
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.5)
        else:
            raise RuntimeError("streamlit did not start")
        yield url, proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        out.close()
