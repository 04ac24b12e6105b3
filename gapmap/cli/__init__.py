"""Command line: ``python -m gapmap COMMAND``.

Each subcommand is a module of this package with ``register(sub)`` (adds its parser and
``set_defaults(run=run)``) and ``run(args, paths) -> int``. To add one, write the module and
name it in :data:`COMMANDS`.

Exit status 0 on success, 2 on bad input (unknown council, unreadable file, bad option: one
line on stderr naming the problem, never a traceback); ``validate`` and ``import`` exit 1 when
some rows were rejected.
"""

from __future__ import annotations

import argparse
import contextlib
import signal
import sys
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

from gapmap.cli import (
    closure,
    councils,
    economy,
    gaps,
    population,
    public_layer,
    records,
    report,
    roads,
    site,
    timeline,
    users,
)
from gapmap.config import DataPaths
from gapmap.errors import GapmapError

COMMANDS = (councils, population, gaps, site, closure, timeline, economy, report, roads, records, public_layer, users)
"""Subcommand modules, in the order ``--help`` lists them."""


def parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    p = argparse.ArgumentParser(
        prog="python -m gapmap",
        description="Where care and support for older people is under-provided, and where to recruit.",
    )
    p.add_argument("--data", type=Path, default=None, help="data folder (default: the shipped data/)")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in COMMANDS:
        module.register(sub)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI and return the exit status."""
    try:
        args = parser().parse_args(argv)
    except SystemExit as exc:  # argparse: --help (0) or a bad option (2, its message printed)
        return exc.code if isinstance(exc.code, int) else 2
    paths = DataPaths(args.data) if args.data else DataPaths()
    with _cleanup_on_sigterm(), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            status = args.run(args, paths)
        except GapmapError as exc:
            print(f"error: {exc}", file=sys.stderr)
            status = 2
        except KeyboardInterrupt:
            print("interrupted", file=sys.stderr)
            status = 130
    for w in caught:
        print(f"warning: {w.message}", file=sys.stderr)
    return status


@contextlib.contextmanager
def _cleanup_on_sigterm() -> Iterator[None]:
    """Turn SIGTERM (``kill``, a timeout) into SystemExit so temporary files and locks are cleaned up."""

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    try:
        previous = signal.signal(signal.SIGTERM, stop)
    except ValueError:  # not the main thread: leave signals alone
        yield
        return
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
