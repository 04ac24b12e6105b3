"""Records benchmarks: validating a large provider file and saving/reading the registry.

Run from the repository root::

    python bench/bench_records.py [--rows 5000]

Set GAPMAP_TEST_POSTGRES to a scratch database to time the PostgreSQL registry as well (its
gapmap_* tables are dropped afterwards).
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gapmap import registry  # noqa: E402
from gapmap.population import load_council  # noqa: E402
from gapmap.records import load_providers  # noqa: E402

TARGET_VALIDATE_S = 2.0
"""A council's whole list (5,000 rows) checked while the user waits."""
TARGET_SAVE_MS = 1000
TARGET_LOAD_MS = 500


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=5000)
    args = parser.parse_args()
    data = load_council("E06000066")
    rng = np.random.default_rng(0)
    pcs = data.points.postcode.dropna().to_numpy()
    n = args.rows
    table = pd.DataFrame(
        {
            "Ref": [f"R{i}" for i in range(n)],
            "Business Name": [f"Provider {i}" for i in range(n)],
            "Type": rng.choice(["micro", "day centre"], n, p=[0.95, 0.05]),
            "Post Code": [p.lower().replace(" ", "") for p in rng.choice(pcs, n)],
            "People supported": rng.integers(1, 20, n),
            "Start": [f"{d:02d}/{m:02d}/20{y:02d}" for d, m, y in rng.integers([1, 1, 10], [28, 12, 24], (n, 3))],
        }
    )
    with tempfile.TemporaryDirectory() as tmp:
        for suffix in (".csv", ".xlsx"):
            path = Path(tmp) / f"providers{suffix}"
            table.to_csv(path, index=False) if suffix == ".csv" else table.to_excel(path, index=False)
            t = time.perf_counter()
            result = load_providers(path, outline=data.outline())
            dt = time.perf_counter() - t
            print(
                f"validate {n:,} rows ({suffix[1:]:>4}): {dt:6.2f} s (target < {TARGET_VALIDATE_S:g} s; "
                f"{n / dt:,.0f} rows/s), {len(result.accepted):,} accepted"
            )
        backends = [("gpkg", registry.Registry(Path(tmp) / "registry.gpkg"))]
        if os.environ.get("GAPMAP_TEST_POSTGRES"):
            from gapmap.registry_postgres import PostgresRegistry

            backends.append(("postgres", PostgresRegistry(os.environ["GAPMAP_TEST_POSTGRES"])))
        for name, reg in backends:
            t = time.perf_counter()
            registry.import_result(
                reg, result, council_code="E06000066", source_file="providers.xlsx", by="bench", force=True
            )
            t_first = time.perf_counter() - t
            t = time.perf_counter()
            registry.import_result(  # lock, read, keep the previous version, write
                reg, result, council_code="E06000066", source_file="providers.xlsx", by="bench", force=True
            )
            t_save = time.perf_counter() - t
            t = time.perf_counter()
            registry.load(reg)
            t_load = time.perf_counter() - t
            print(
                f"registry ({name:>8}) import {len(result.accepted):,} providers: first {t_first * 1000:6.0f} ms, "
                f"replace (with version kept) {t_save * 1000:6.0f} ms (target < {TARGET_SAVE_MS} ms); "
                f"load {t_load * 1000:6.0f} ms (target < {TARGET_LOAD_MS} ms)"
            )
            if name == "postgres":
                import psycopg

                with psycopg.connect(os.environ["GAPMAP_TEST_POSTGRES"], autocommit=True) as conn:
                    for table in ("providers", "imports", "versions", "provider_versions", "import_versions"):
                        conn.execute(f"DROP TABLE IF EXISTS gapmap_{table}")


if __name__ == "__main__":
    main()
