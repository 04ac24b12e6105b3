"""Generate the ILLUSTRATIVE Somerset provider sample shipped in data/sample/.

Not real providers. The sample is plausible in shape only, so a first-time user sees a working
dashboard before loading their council's own records:

- about 450 community micro-enterprises active by the end of 2020, grown from about 50 at the
  start of 2015 (as Somerset's programme did), mostly sole traders doing home care and home
  help; placed on real Somerset postcodes, 80% drawn in proportion to residents aged 65+ and
  20% evenly across postcodes (which spreads some into rural areas); a few have since ceased;
- 25 day centres opened before 2010 in the larger settlements, 8 of them closed between
  2012 and 2024.

Every row carries the note "Illustrative sample — not real providers", and the app labels
every view that shows it. Deterministic: the same seed gives the same file.

Run from the repository root::

    python scripts/make_sample.py [--seed 2020] [--out data/sample/somerset_providers_illustrative.csv]
"""

from __future__ import annotations

import argparse
import sys
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from gapmap.labels import ILLUSTRATIVE  # noqa: E402
from gapmap.population import load_council  # noqa: E402

NOTE = ILLUSTRATIVE
SERVICE_MIX = [
    ("home care; home help", 0.40),
    ("home care; personal care", 0.15),
    ("home help", 0.12),
    ("socialising and fun", 0.09),
    ("day activities; socialising and fun", 0.06),
    ("peer support", 0.05),
    ("arts and crafts; socialising and fun", 0.05),
    ("transport; home help", 0.04),
    ("home care", 0.04),
]
GROUP_MIX = [
    ("older people", 0.55),
    ("older people; physical disability", 0.2),
    ("older people; carers", 0.1),
    ("older people; mental health", 0.08),
    ("physical disability; learning disability", 0.07),
]


def _pick(rng: np.random.Generator, mix: list[tuple[str, float]], n: int) -> np.ndarray:
    labels, p = zip(*mix, strict=True)
    p = np.asarray(p) / sum(p)
    return rng.choice(np.asarray(labels, dtype=object), size=n, p=p)


def _dates_between(rng: np.random.Generator, start: date, end: date, n: int) -> list[date]:
    span = (end - start).days
    return [start + timedelta(days=int(d)) for d in rng.integers(0, span + 1, size=n)]


def make_sample(seed: int = 2020) -> pd.DataFrame:
    """Build the sample table (see the module docstring)."""
    rng = np.random.default_rng(seed)
    pts = load_council("E06000066").points
    pts = pts[pts.postcode.notna()].reset_index(drop=True)

    # Micro-enterprises: ~50 before 2015, growing to ~450 by the end of 2020.
    n_micro = 460
    weight = pts.pop_65plus.to_numpy() / pts.pop_65plus.sum()
    by_people = rng.choice(len(pts), size=int(n_micro * 0.8), replace=False, p=weight)
    even = rng.choice(np.setdiff1d(np.arange(len(pts)), by_people), size=n_micro - len(by_people), replace=False)
    where = rng.permutation(np.concatenate([by_people, even]))
    early = _dates_between(rng, date(2011, 1, 1), date(2014, 12, 31), 50)
    # Growth accelerating through 2015-2020: later years get more starters.
    years = rng.choice(np.arange(2015, 2021), size=n_micro - 50, p=np.array([1, 1.5, 2, 2.5, 3, 3]) / 13)
    later = [_dates_between(rng, date(y, 1, 1), date(y, 12, 31), 1)[0] for y in years]
    starts = early + later
    ends: list[date | None] = [None] * n_micro
    for i in rng.choice(n_micro, size=12, replace=False):  # a few have ceased since
        first = max(starts[i] + timedelta(days=365), date(2021, 6, 1))
        ends[i] = _dates_between(rng, first, date(2025, 12, 31), 1)[0]
    capacity = rng.integers(4, 16, size=n_micro).astype(object)
    capacity[rng.choice(n_micro, size=10, replace=False)] = ""  # some councils' lists leave it blank
    services = _pick(rng, SERVICE_MIX, n_micro)
    micro = pd.DataFrame(
        {
            "id": [f"ILL-ME-{i + 1:03d}" for i in range(n_micro)],
            "name": [f"Sample micro-provider {i + 1:03d} ({s.split(';')[0]})" for i, s in enumerate(services)],
            "kind": "micro_enterprise",
            "services": services,
            "client_groups": _pick(rng, GROUP_MIX, n_micro),
            "capacity": capacity,
            "start_date": starts,
            "end_date": ends,
            "postcode": pts.postcode.to_numpy()[where],
        }
    )

    # Day centres: in the 25 most populous postcode districts, opened 1990-2009, 8 closed.
    district = pts.postcode.str.split(" ").str[0]
    top = pts.groupby(district).pop_65plus.sum().sort_values(ascending=False).index[:25]
    centre_pc = [pts.postcode[district == d].to_numpy()[rng.integers(0, (district == d).sum())] for d in top]
    n_dc = len(centre_pc)
    closed = rng.choice(n_dc, size=8, replace=False)
    dc_end: list[date | None] = [None] * n_dc
    for i in closed:
        dc_end[i] = _dates_between(rng, date(2012, 1, 1), date(2024, 12, 31), 1)[0]
    day = pd.DataFrame(
        {
            "id": [f"ILL-DC-{i + 1:02d}" for i in range(n_dc)],
            "name": [f"Sample day centre {i + 1:02d}" for i in range(n_dc)],
            "kind": "day_centre",
            "services": "day activities; socialising and fun; transport",
            "client_groups": "older people; physical disability",
            "capacity": rng.integers(18, 41, size=n_dc),
            "start_date": _dates_between(rng, date(1990, 1, 1), date(2009, 12, 31), n_dc),
            "end_date": dc_end,
            "postcode": centre_pc,
        }
    )
    out = pd.concat([micro, day], ignore_index=True)
    for col in ("start_date", "end_date"):
        out[col] = [d.strftime("%d/%m/%Y") if d else "" for d in out[col]]
    out["note"] = NOTE
    return out


def main() -> int:
    """Write the sample CSV."""
    parser = argparse.ArgumentParser(description="Generate the illustrative Somerset provider sample")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, default=ROOT / "data" / "sample" / "somerset_providers_illustrative.csv")
    args = parser.parse_args()
    table = make_sample(args.seed)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    table.to_csv(args.out, index=False, lineterminator="\n")
    print(f"wrote {len(table)} illustrative providers to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
