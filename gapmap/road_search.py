"""Dijkstra searches of a road graph, cut at a catchment, on one core or two.

scipy's Dijkstra (1.17) holds the GIL for most of its work, so threads do not use a second
core (5.7 s to 5.3 s for 500 providers on the bench's county network). A large job is therefore
shared with helper processes (``python -m gapmap.road_search FOLDER``) through a temporary
folder: the graph, the sources and the targets are written there once; this process and each
helper claim chunks of sources by creating ``claim-K`` there (an atomic create: one owner per
chunk) and a helper writes its answers beside them. Not :mod:`multiprocessing`, whose workers
re-run the main script (in the app, the page being drawn), and nothing passes through the GIL
of this process while it searches. A chunk a helper claimed and did not answer (it failed to
start, or died) is searched here, so the table is always whole and the same row for row
however it ran.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse
from scipy.sparse import csgraph

SOURCE_CHUNK = 32
"""Sources searched together (one dense ``chunk × nodes`` array of minutes at a time)."""

HELPER_MIN_SECONDS = 0.5
"""A helper process starts only when the first chunk's time says the rest will take this long."""

Rows = tuple[np.ndarray, np.ndarray, np.ndarray]


@dataclass(frozen=True)
class Targets:
    """The nodes a search reads its answers at, with the minutes added at each (the off-road legs).

    Attributes
    ----------
    node
        Node per origin.
    minutes
        Minutes added to that origin's time.
    limit
        The catchment in minutes: pairs above it are dropped.
    """

    node: np.ndarray
    minutes: np.ndarray
    limit: float


def _chunk(graph: sparse.csr_matrix, targets: Targets, sources: np.ndarray, first: int) -> Rows:
    """Pairs (origin, source position, minutes) within the catchment, for one chunk of sources."""
    dist = csgraph.dijkstra(graph, directed=True, indices=sources, limit=targets.limit)
    cost = dist[:, targets.node] + targets.minutes  # (chunk, origins)
    jj, ii = np.nonzero(cost <= targets.limit)
    return ii.astype(np.int32), (jj + first).astype(np.int32), cost[jj, ii]


def _claim(folder: Path, k: int) -> bool:
    """Claim chunk ``k`` (True for the one caller that creates its claim file first)."""
    try:
        os.close(os.open(folder / f"claim-{k}", os.O_CREAT | os.O_EXCL | os.O_WRONLY))
    except FileExistsError:
        return False
    return True


def _write_job(folder: Path, graph: sparse.csr_matrix, sources: np.ndarray, targets: Targets) -> None:
    np.savez(
        folder / "job.npz",
        indptr=graph.indptr,
        indices=graph.indices,
        data=graph.data,
        shape=np.asarray(graph.shape),
        sources=sources,
        node=targets.node,
        minutes=targets.minutes,
        limit=np.float64(targets.limit),
    )


def _read_job(folder: Path) -> tuple[sparse.csr_matrix, np.ndarray, Targets]:
    with np.load(folder / "job.npz") as job:
        graph = sparse.csr_matrix((job["data"], job["indices"], job["indptr"]), shape=tuple(job["shape"]))
        return graph, job["sources"], Targets(job["node"], job["minutes"], float(job["limit"]))


def _chunks(sources: np.ndarray) -> list[tuple[np.ndarray, int]]:
    return [(sources[s : s + SOURCE_CHUNK], s) for s in range(0, len(sources), SOURCE_CHUNK)]


def _worker_command(folder: Path) -> list[str]:
    return [sys.executable, "-m", "gapmap.road_search", str(folder)]


def _helper_env() -> dict[str, str]:
    """The environment, with gapmap's own folder first on the path, wherever the caller runs."""
    env = dict(os.environ)
    here = str(Path(__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [here, env.get("PYTHONPATH")]))
    return env


def _start_helper(folder: Path) -> subprocess.Popen | None:
    try:
        return subprocess.Popen(
            _worker_command(folder),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=_helper_env(),
        )
    except OSError:
        return None


def _answered(folder: Path, k: int) -> Rows | None:
    try:
        with np.load(folder / f"rows-{k}.npz") as rows:
            return rows["i"], rows["j"], rows["v"]
    except (OSError, ValueError, KeyError):
        return None


def search(graph: sparse.csr_matrix, sources: np.ndarray, targets: Targets, *, workers: int = 1) -> Rows:
    """Minutes from every source to every target node within the catchment.

    Parameters
    ----------
    graph
        The graph to search (CSR, minutes per edge).
    sources
        Node per source.
    targets
        Where to read the answers, and the catchment.
    workers
        Cores to use for a large job (1: this process only; each further one is a helper process).

    Returns
    -------
    tuple of numpy.ndarray
        Origin positions (int32), source positions (int32) and minutes (float64), source by
        source and, within a source, in origin order; the same however it ran.

    Examples
    --------
    >>> g = sparse.csr_matrix(([2.0, 3.0], ([0, 1], [1, 2])), shape=(3, 3))
    >>> i, j, v = search(g, np.array([0]), Targets(np.array([1, 2]), np.zeros(2), limit=4.0))
    >>> i.tolist(), j.tolist(), v.tolist()
    ([0], [0], [2.0])
    """
    sources = np.asarray(sources, dtype=np.int64)
    chunks = _chunks(sources)
    if not chunks:
        return np.empty(0, np.int32), np.empty(0, np.int32), np.empty(0)
    results: list[Rows | None] = [None] * len(chunks)
    started = time.perf_counter()
    results[0] = _chunk(graph, targets, *chunks[0])
    rest = (len(chunks) - 1) * (time.perf_counter() - started)
    n_helpers = min(workers - 1, len(chunks) - 1) if rest >= HELPER_MIN_SECONDS else 0
    if n_helpers <= 0:
        for k in range(1, len(chunks)):
            results[k] = _chunk(graph, targets, *chunks[k])
    else:
        with tempfile.TemporaryDirectory(prefix="gapmap-search-") as tmp:
            folder = Path(tmp)
            _write_job(folder, graph, sources, targets)
            _claim(folder, 0)
            helpers = [h for h in (_start_helper(folder) for _ in range(n_helpers)) if h is not None]
            for k in range(1, len(chunks)):
                if _claim(folder, k):
                    results[k] = _chunk(graph, targets, *chunks[k])
            # Wait only for chunks a running helper has claimed: one still starting claims none.
            pending = [k for k, rows in enumerate(results) if rows is None]
            while pending and any(h.poll() is None for h in helpers):
                pending = [k for k in pending if not (folder / f"rows-{k}.npz").exists()]
                time.sleep(0.002)
            for helper in helpers:
                helper.kill()
                helper.wait()
            for k, rows in enumerate(results):
                if rows is None:  # a helper's, read back; searched here if it never came
                    results[k] = _answered(folder, k) or _chunk(graph, targets, *chunks[k])
    return tuple(np.concatenate([rows[c] for rows in results]) for c in range(3))  # type: ignore[index,return-value]


def _serve(folder: Path) -> None:
    """A helper process: claim chunks of the job in ``folder`` and write their answers there."""
    graph, sources, targets = _read_job(folder)
    for k, (src, first) in enumerate(_chunks(sources)):
        if _claim(folder, k):
            i, j, v = _chunk(graph, targets, src, first)
            partial = folder / f"rows-{k}.part.npz"
            np.savez(partial, i=i, j=j, v=v)
            partial.replace(folder / f"rows-{k}.npz")  # whole or absent, never half written


if __name__ == "__main__":
    _serve(Path(sys.argv[1]))
