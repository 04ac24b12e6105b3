"""Load: many sessions at once against a running gapmap server (issue #22).

Each session is a websocket client speaking Streamlit's protocol (``tests/st_client.py``: what a
browser tab sends and receives, without drawing), so thirty fit beside the server on a laptop.
Every session opens the gaps page, then every few seconds changes the radius, the age band or
the page, for a bounded time. Reported beside the targets (this 2-core machine):

- p50 and p95 of the time from a change to the new figures (the script run's last message
  received: every figure and map layer of that run has arrived; the browser's own drawing,
  10–50 ms, is not included), and errors (an exception shown, a run that did not finish, a
  lost connection): 30 sessions, p95 <= 2 s, no error;
- a visitor opening a council nobody has loaded: the others' p95 while it loads;
- the server's memory (RSS, psutil) as 200 sessions open and close: flat (no leak);
- one session visiting 20 councils in turn: the server's memory stays under the ceiling.

Usage::

    python bench/bench_load.py                      # starts its own server (local mode, loopback)
    python bench/bench_load.py --url http://127.0.0.1:8501 --pid 1234
    python bench/bench_load.py --sessions 8 --seconds 30 --quick   # the CI-sized run

Everything is on loopback and every loop is bounded by a count or a deadline.
"""

from __future__ import annotations

import argparse
import contextlib
import random
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.st_client import Client  # noqa: E402

P95_TARGET_S = 2.0
MEMORY_CEILING_MB = 1500
"""The server's RSS may not exceed this while one visitor opens 20 councils in turn (6 kept)."""
LEAK_TOLERANCE_MB = 100
"""Memory after 200 sessions may exceed memory after the first 50 by at most this."""
RADII = (3.0, 5.0, 8.0, 10.0, 4.0, 6.5)
PAGES = ("Where care is short", "Older population")
NEW_COUNCIL = "E10000016"  # Kent: the largest upper-tier council, loaded by nobody before
TOUR = [
    "E06000066",
    "E10000016",
    "E06000052",
    "E08000025",
    "E10000003",
    "E06000023",
    "E06000060",
    "E09000007",
    "E06000047",
    "E08000026",
    "E06000049",
    "E06000043",
    "E10000014",
    "E08000035",
    "E10000020",
    "E06000065",
    "E10000024",
    "E06000059",
    "E10000032",
    "E09000033",
]


@dataclass
class Tally:
    """What the sessions saw (shared by their threads, under a lock)."""

    latencies: list[tuple[float, float]] = field(default_factory=list)  # (when sent, seconds)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, started: float, seconds: float) -> None:
        with self.lock:
            self.latencies.append((started, seconds))

    def error(self, text: str) -> None:
        with self.lock:
            self.errors.append(text[:200])

    def percentiles(self, since: float = 0.0, until: float = float("inf")) -> tuple[float, float, int]:
        with self.lock:
            values = [s for t, s in self.latencies if since <= t <= until]
        if not values:
            return float("nan"), float("nan"), 0
        return float(np.percentile(values, 50)), float(np.percentile(values, 95)), len(values)


def _check(result, tally: Tally, what: str) -> None:
    if result.exceptions:
        tally.error(f"{what}: {result.exceptions[0]}")
    elif result.status != "FINISHED_SUCCESSFULLY":
        tally.error(f"{what}: run ended {result.status}")


def session(url: str, deadline: float, interval: float, tally: Tally, seed: int) -> None:
    """One visitor: open the gaps page, then change something every ``interval`` s until ``deadline``."""
    rng = random.Random(seed)
    try:
        with Client(url, timeout=120) as c:
            _check(c.run(), tally, "open")
            step = rng.randrange(3)
            while time.monotonic() < deadline:
                time.sleep(rng.uniform(0.5, 1.5) * interval)
                if time.monotonic() >= deadline:
                    break
                action = ("radius", "band", "page")[step % 3]
                step += 1
                on_gaps = c.page_hash == c.pages.get(PAGES[0], c.page_hash)
                if action == "radius" and on_gaps and "Catchment radius (km)" in c.widgets:
                    c.set("Catchment radius (km)", rng.choice(RADII))
                    page = None
                elif action == "band" and "Age band" in c.widgets:
                    options = c.widgets["Age band"].options
                    c.set("Age band", rng.choice(options))
                    page = None
                else:
                    page = PAGES[1] if on_gaps else PAGES[0]
                started = time.monotonic()
                result = c.run(page=page)
                tally.add(started, result.seconds)
                _check(result, tally, action)
    except Exception as exc:  # a lost connection or a timeout is an error of the run, not of the bench
        tally.error(f"{type(exc).__name__}: {exc}")


def concurrent(
    url: str, sessions: int, seconds: float, *, interval: float = 3.0, newcomer: bool = True
) -> tuple[Tally, float | None]:
    """``sessions`` visitors at once for ``seconds``; halfway, one opens a council nobody has loaded."""
    tally = Tally()
    deadline = time.monotonic() + seconds
    threads = [
        threading.Thread(target=session, args=(url, deadline, interval, tally, i), daemon=True) for i in range(sessions)
    ]
    for t in threads:
        t.start()
        time.sleep(0.2)  # a room arriving over a few seconds, not in one instant
    newcomer_window = None
    if newcomer:
        time.sleep(max(0.0, (deadline - time.monotonic()) / 2))
        start = time.monotonic()
        try:
            with Client(url, timeout=180) as c:
                _check(c.run(query=f"council={NEW_COUNCIL}"), tally, "new council")
        except Exception as exc:
            tally.error(f"new council: {type(exc).__name__}: {exc}")
        newcomer_window = (start, max(time.monotonic(), start + 5.0))  # and the runs queued behind it
    for t in threads:
        t.join(timeout=seconds + 240)
    return tally, newcomer_window


def churn(url: str, total: int, batch: int, proc: psutil.Process | None) -> tuple[list[tuple[int, float]], Tally]:
    """Open and close ``total`` sessions, ``batch`` at a time (each opens the page and moves the radius)."""
    tally = Tally()
    memory = []

    def one(i: int) -> None:
        try:
            with Client(url, timeout=120) as c:
                _check(c.run(), tally, "open")
                c.set("Catchment radius (km)", RADII[i % len(RADII)])
                started = time.monotonic()
                result = c.run()
                tally.add(started, result.seconds)
                _check(result, tally, "radius")
        except Exception as exc:
            tally.error(f"{type(exc).__name__}: {exc}")

    for start in range(0, total, batch):
        threads = [threading.Thread(target=one, args=(i,)) for i in range(start, min(total, start + batch))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=300)
        if proc is not None:
            time.sleep(0.5)
            memory.append((min(total, start + batch), _rss_mb(proc)))
    return memory, tally


def tour(url: str, councils: list[str], proc: psutil.Process | None) -> tuple[list[tuple[str, float, float]], Tally]:
    """One visitor opening ``councils`` in turn: (council, seconds, server RSS after) for each."""
    tally = Tally()
    seen = []
    with Client(url, timeout=300) as c:
        _check(c.run(), tally, "open")
        for code in councils:
            label = next((o for o in c.widgets["Council"].options if o.endswith(f"({code})")), None)
            if label is None:
                tally.error(f"{code} not offered")
                continue
            c.set("Council", label)
            result = c.run()
            _check(result, tally, code)
            seen.append((code, result.seconds, _rss_mb(proc) if proc else float("nan")))
    return seen, tally


def _rss_mb(proc: psutil.Process) -> float:
    return proc.memory_info().rss / 1e6


@contextlib.contextmanager
def own_server():
    """A server of our own (local mode on loopback), for when no --url is given."""
    from tests.servers import app_server

    home = Path(tempfile.mkdtemp(prefix="gapmap-load-"))
    with app_server(home, script="app.py") as (url, proc):
        yield url, proc.pid


def row(label: str, value: str, target: str = "") -> None:
    print(f"{label:<58} {value:>18}  {target}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running server (default: start one)")
    parser.add_argument("--pid", type=int, help="the server's process id, for its memory (with --url)")
    parser.add_argument("--sessions", type=int, default=30)
    parser.add_argument("--seconds", type=float, default=90.0)
    parser.add_argument("--interval", type=float, default=3.0, help="seconds between one visitor's changes")
    parser.add_argument("--churn", type=int, default=200, help="sessions opened and closed for the leak check")
    parser.add_argument("--councils", type=int, default=20, help="councils one visitor opens in turn")
    parser.add_argument("--quick", action="store_true", help="the concurrent part only")
    args = parser.parse_args(argv)

    with contextlib.ExitStack() as stack:
        if args.url:
            url, pid = args.url.rstrip("/"), args.pid
        else:
            url, pid = stack.enter_context(own_server())
        proc = psutil.Process(pid) if pid else None
        with Client(url, timeout=300) as warm:  # the first council loads once, as for the first visitor
            warm.run()
        print(f"gapmap load bench against {url} ({psutil.cpu_count()} CPUs)")
        base_mb = _rss_mb(proc) if proc else float("nan")
        row("Server memory after the first visitor", f"{base_mb:,.0f} MB")

        tally, window = concurrent(url, args.sessions, args.seconds, interval=args.interval)
        p50, p95, n = tally.percentiles()
        row(f"{args.sessions} sessions, {args.seconds:g} s: changes measured", f"{n}")
        row("  change -> new figures, p50", f"{p50:.2f} s")
        row("  change -> new figures, p95", f"{p95:.2f} s", f"target <= {P95_TARGET_S:g} s")
        row("  errors", f"{len(tally.errors)}", "target 0")
        for text in tally.errors[:5]:
            print(f"    {text}")
        if window:
            w50, w95, wn = tally.percentiles(window[0], window[1])
            row(f"  while a visitor opened {NEW_COUNCIL} ({window[1] - window[0]:.1f} s)", f"p95 {w95:.2f} s",
                f"({wn} changes; target: no stall beyond {P95_TARGET_S:g} s)")  # fmt: skip
        if proc:
            row("  server memory after", f"{_rss_mb(proc):,.0f} MB")
        failed = len(tally.errors) > 0 or not (p95 <= P95_TARGET_S)
        if args.quick:
            return 1 if failed else 0

        memory, churned = churn(url, args.churn, 10, proc)
        if proc and memory:
            at50 = next(mb for n, mb in memory if n >= min(50, args.churn))
            last = memory[-1][1]
            row(f"{args.churn} sessions opened and closed: memory at 50", f"{at50:,.0f} MB")
            row(
                f"  memory at {memory[-1][0]}",
                f"{last:,.0f} MB",
                f"target <= {at50 + LEAK_TOLERANCE_MB:,.0f} MB (flat)",
            )
            failed |= last > at50 + LEAK_TOLERANCE_MB
        row("  errors", f"{len(churned.errors)}", "target 0")
        failed |= bool(churned.errors)

        visited, toured = tour(url, TOUR[: args.councils], proc)
        if visited:
            peak = max(mb for _, _, mb in visited)
            slowest = max(visited, key=lambda v: v[1])
            row(f"{len(visited)} councils in turn: slowest open", f"{slowest[1]:.1f} s ({slowest[0]})")
            row("  server memory, highest", f"{peak:,.0f} MB", f"ceiling {MEMORY_CEILING_MB:,} MB")
            row("  server memory, after the last", f"{visited[-1][2]:,.0f} MB")
            failed |= peak > MEMORY_CEILING_MB
        row("  errors", f"{len(toured.errors)}", "target 0")
        for text in toured.errors[:5]:
            print(f"    {text}")
        failed |= bool(toured.errors)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
