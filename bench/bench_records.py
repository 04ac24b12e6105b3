"""Records benchmarks: validating a large provider file and saving/reading the registry.

Run from the repository root::

    python bench/bench_records.py [--rows 5000]
"""

from __future__ import annotations

import argparse
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
                f"validate {n:,} rows ({suffix[1:]:>4}): {dt:6.2f} s  ({n / dt:,.0f} rows/s), "
                f"{len(result.accepted):,} accepted"
            )
        reg = registry.Registry(Path(tmp) / "registry.gpkg")
        records = registry.merge_import(
            registry.empty_records(), result, council_code="E06000066", source_file="providers.xlsx", by="bench"
        )
        t = time.perf_counter()
        registry.save(reg, records, registry.load(reg)[1])
        t_save = time.perf_counter() - t
        t = time.perf_counter()
        registry.load(reg)
        t_load = time.perf_counter() - t
        print(
            f"registry save {len(records):,} providers: {t_save * 1000:6.0f} ms; load: {t_load * 1000:6.0f} ms; "
            f"file {reg.path.stat().st_size / 1024:,.0f} KiB"
        )


if __name__ == "__main__":
    main()
