"""Build the compact data files gapmap ships under ``data/``.

Reads the raw open data in ``../shared/data`` (see its README for provenance) and writes:

- ``data/boundaries/{wards,lsoa,msoa}.parquet``: GeoParquet, EPSG:27700, repaired, and
  simplified as a coverage so neighbouring areas still share their edges.
- ``data/population/lsoa.parquet``: Census 2021 ages (five-year bands from 60), disability,
  IoD 2025 and the 2021 rural-urban class for every English LSOA 2021.
- ``data/demand/points.parquet``: the demand points, one per live postcode (Code-Point Open,
  positional quality < 90), each tagged with the LSOA it falls in (point-in-polygon on the
  unsimplified boundaries) and its ward; plus one point inside every LSOA that has no postcode.
- ``data/councils.csv``: every upper-tier authority and district, with Census totals.
- ``data/projections/snpp2022_65plus.csv``: ONS 2022-based population projections, band totals
  (65+, 75+, 85+) per council and year, from the single-year rows (90+ included).
- ``data/manifest.json``: sources, vintages, licences and row counts, shown in the app.

Run from the repository root::

    python scripts/build_data.py [--source ../shared/data] [--out data] [--only projections]

``--only projections`` rebuilds just the projections file and its manifest entry (the same
bytes a full build writes).

The build is deterministic: the same inputs give byte-identical files (sorted rows, no
timestamps), which ``tests/test_build.py`` checks against the shipped copies.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from gapmap.areas import locate_points  # noqa: E402
from gapmap.demand import fallback_points  # noqa: E402
from gapmap.maps import ATTRIBUTION  # noqa: E402
from gapmap.population_projections import snpp_totals  # noqa: E402

BNG = "EPSG:27700"

# ONS recoded Barnsley and Sheffield in April 2024 after a boundary change between them; the
# LSOA 2021 file still carries the old codes, the May 2025 wards the new ones.
COUNCIL_RECODES = {"E08000016": "E08000038", "E08000019": "E08000039"}

# Display simplification tolerance in metres, per layer (coverage-preserving).
SIMPLIFY_M = {"wards": 20.0, "lsoa": 8.0, "msoa": 15.0}

AGE_COLUMNS = {
    "Age: Total": "pop_total",
    "Age: Aged 60 to 64 years": "pop_60_64",
    "Age: Aged 65 to 69 years": "pop_65_69",
    "Age: Aged 70 to 74 years": "pop_70_74",
    "Age: Aged 75 to 79 years": "pop_75_79",
    "Age: Aged 80 to 84 years": "pop_80_84",
    "Age: Aged 85 years and over": "pop_85plus",
}


def log(msg: str) -> None:
    """Print a progress line to stderr with the elapsed time."""
    print(f"[{time.perf_counter() - T0:7.1f}s] {msg}", file=sys.stderr, flush=True)


def repair(gdf: gpd.GeoDataFrame) -> tuple[gpd.GeoDataFrame, int]:
    """Make every geometry valid, keeping only its polygonal parts."""
    invalid = ~gdf.geometry.is_valid
    out = gdf.copy()
    if invalid.any():
        fixed = shapely.make_valid(out.geometry[invalid].values)
        # make_valid can return a GeometryCollection with stray lines; keep polygons only.
        polys = [
            shapely.unary_union([g for g in shapely.get_parts(geom) if g.geom_type in ("Polygon", "MultiPolygon")])
            for geom in fixed
        ]
        out.loc[invalid, "geometry"] = polys
    assert out.geometry.is_valid.all()
    return out, int(invalid.sum())


def simplify_coverage(gdf: gpd.GeoDataFrame, tolerance: float) -> gpd.GeoDataFrame:
    """Simplify a polygon coverage keeping shared edges shared."""
    out = gdf.copy()
    simplified = shapely.coverage_simplify(out.geometry.values, tolerance)
    simplified = shapely.make_valid(simplified)
    out["geometry"] = shapely.set_precision(simplified, 1.0)
    return out


def load_boundaries(src: Path) -> dict[str, gpd.GeoDataFrame]:
    """Read, repair and standardise the three boundary layers."""
    wards = gpd.read_parquet(src / "boundaries/wards_wd25_england.parquet")
    wards = wards.rename(
        columns={
            "WD25CD": "area_code",
            "WD25NM": "area_name",
            "LAD25CD": "lad_code",
            "LAD25NM": "lad_name",
            "UTLACD": "utla_code",
        }
    )[["area_code", "area_name", "lad_code", "lad_name", "utla_code", "geometry"]]
    layers = {"wards": wards}
    for layer, prefix in (("lsoa", "LSOA21"), ("msoa", "MSOA21")):
        g = gpd.read_parquet(src / f"boundaries/{layer}21_england.parquet")
        g = g.rename(
            columns={
                f"{prefix}CD": "area_code",
                f"{prefix}NM": "area_name",
                "LADCD_ACTIVE": "lad_code",
                "UTLACD": "utla_code",
            }
        )[["area_code", "area_name", "lad_code", "utla_code", "geometry"]]
        for col in ("lad_code", "utla_code"):
            g[col] = g[col].replace(COUNCIL_RECODES)
        layers[layer] = g
    stats = {}
    for name, g in layers.items():
        g, n_fixed = repair(g)
        g["area_km2"] = (g.geometry.area / 1e6).round(4)
        layers[name] = g.sort_values(["utla_code", "lad_code", "area_code"]).reset_index(drop=True)
        stats[name] = n_fixed
        log(f"{name}: {len(g)} areas, {n_fixed} invalid geometries repaired")
    assert set(layers["wards"].utla_code) == set(layers["lsoa"].utla_code)
    assert set(layers["wards"].lad_code) == set(layers["lsoa"].lad_code)
    return layers, stats


def build_lsoa_table(src: Path, lsoa: gpd.GeoDataFrame) -> pd.DataFrame:
    """Join Census ages, disability, IoD 2025 and rural-urban class onto every LSOA."""
    ages = pd.read_csv(src / "census2021/census2021-ts007a-lsoa.csv")
    ages = ages.rename(columns={"geography code": "lsoa_code", **AGE_COLUMNS})
    ages = ages[["lsoa_code", *AGE_COLUMNS.values()]]
    dis = pd.read_csv(src / "census2021/census2021_ts038_lsoa21_disability.csv")
    dis = dis.rename(columns={"lsoa21_code": "lsoa_code"})
    iod = pd.read_csv(src / "deprivation/iod2025_lsoa21_england.csv")
    iod = iod.rename(
        columns={
            "lsoa21_code": "lsoa_code",
            "IMD_decile": "imd_decile",
            "IMD_score": "imd_score",
            "idaopi_numerator_older_people_income_deprived": "idaopi_numerator",
        }
    )[["lsoa_code", "imd_decile", "imd_score", "idaopi_numerator"]]
    ruc = pd.read_csv(src / "lookups/lsoa21_ward24_ltla24_ruc21.csv")
    ruc = ruc.rename(columns={"lsoa21_code": "lsoa_code", "classification": "ruc21_class"})
    ruc = ruc[["lsoa_code", "ruc21_code", "ruc21_class", "ruc"]]

    base = pd.DataFrame(
        {
            "lsoa_code": lsoa.area_code,
            "lsoa_name": lsoa.area_name,
            "lad_code": lsoa.lad_code,
            "utla_code": lsoa.utla_code,
            # LSOAs nest in MSOAs and are named after them: "Mendip 001A" is in "Mendip 001".
            "msoa_name": lsoa.area_name.str[:-1],
            "area_km2": lsoa.area_km2,
        }
    )
    out = base.merge(ages, on="lsoa_code", how="left", validate="1:1")
    missing = out.pop_total.isna().sum()
    if missing:
        raise SystemExit(f"{missing} LSOAs have no Census 2021 age counts")
    # TS038 is a separate table (its totals differ by a few people through ONS record
    # swapping), so carry the disabled *share* and apply it to TS007A's total.
    dis_share = dis.disabled_equality_act / dis.total_residents
    out = out.merge(
        pd.DataFrame({"lsoa_code": dis.lsoa_code, "disabled_share": dis_share}),
        on="lsoa_code",
        how="left",
        validate="1:1",
    )
    out = out.merge(iod, on="lsoa_code", how="left", validate="1:1")
    out = out.merge(ruc, on="lsoa_code", how="left", validate="1:1")
    # IDAOPI numerators are suppressed (blank) for a few small LSOAs; treat as 0 and flag.
    out["idaopi_suppressed"] = out.idaopi_numerator.isna()
    out["idaopi_numerator"] = out.idaopi_numerator.fillna(0.0)
    for col in AGE_COLUMNS.values():
        out[col] = out[col].astype("int32")
    return out.sort_values(["utla_code", "lad_code", "lsoa_code"]).reset_index(drop=True)


def attach_msoa_codes(table: pd.DataFrame, msoa: gpd.GeoDataFrame) -> pd.DataFrame:
    """Add msoa_code by the LSOA naming rule, checking every LSOA finds its MSOA."""
    names = dict(zip(msoa.area_name, msoa.area_code, strict=True))
    out = table.copy()
    out["msoa_code"] = out.msoa_name.map(names)
    if out.msoa_code.isna().any():
        bad = out.loc[out.msoa_code.isna(), "lsoa_code"].head().tolist()
        raise SystemExit(f"LSOAs with no MSOA by name: {bad}")
    return out.drop(columns="msoa_name")


def build_points(src: Path, lsoa: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> tuple[pd.DataFrame, dict[str, int]]:
    """Tag every live English postcode with its LSOA and ward; add fallback points."""
    cp = pd.read_parquet(
        src / "postcodes/codepoint_open_2025_gb.parquet",
        columns=["Postcode", "Positional_quality_indicator", "Eastings", "Northings", "Country_code"],
    )
    england = cp[cp.Country_code == "E92000001"]
    live = england[england.Positional_quality_indicator < 90]
    stats = {"codepoint_england": len(england), "codepoint_no_coordinates": len(england) - len(live)}
    pts = gpd.GeoDataFrame(
        {
            "postcode": live.Postcode.to_numpy(),
            "easting": live.Eastings.to_numpy(),
            "northing": live.Northings.to_numpy(),
            "quality": live.Positional_quality_indicator.to_numpy().astype("int8"),
        },
        geometry=gpd.points_from_xy(live.Eastings, live.Northings),
        crs=BNG,
    )
    log(f"postcodes: {len(pts)} live English postcodes with coordinates")

    # Point in polygon against the repaired, unsimplified LSOAs; coastal and border postcodes
    # just outside the generalised boundary go to the nearest LSOA.
    lsoa_idx, _ = locate_points(pts.geometry.values, lsoa.geometry.values, nearest=False)
    outside = lsoa_idx < 0
    stats["postcodes_outside_lsoa_polygons"] = int(outside.sum())
    lsoa_idx, _ = locate_points(pts.geometry.values, lsoa.geometry.values, nearest=True)
    log(f"postcodes: {stats['postcodes_outside_lsoa_polygons']} outside every LSOA -> nearest")
    pts["lsoa_code"] = lsoa.area_code.to_numpy()[lsoa_idx]
    pts["synthetic"] = False

    # LSOAs with no live postcode still have residents: give each a point inside it.
    extra = fallback_points(lsoa, pts.lsoa_code.unique())
    stats["lsoas_without_postcode"] = len(extra)
    if len(extra):
        extra["postcode"] = pd.array([None] * len(extra), dtype="str")
        extra["quality"] = np.int8(0)
        extra["synthetic"] = True
        pts = pd.concat([pts, extra], ignore_index=True)
    lookup = lsoa.set_index("area_code")
    pts["lad_code"] = lookup.lad_code.reindex(pts.lsoa_code.to_numpy()).to_numpy()
    pts["utla_code"] = lookup.utla_code.reindex(pts.lsoa_code.to_numpy()).to_numpy()
    log(f"points: {stats['lsoas_without_postcode']} LSOAs without a postcode got a point")

    pts["ward_code"] = assign_wards(pts, wards)
    stats["demand_points"] = len(pts)
    out = pd.DataFrame(pts.drop(columns="geometry"))
    out = out.sort_values(["utla_code", "lad_code", "lsoa_code", "easting", "northing", "postcode"])
    return out.reset_index(drop=True), stats


def assign_wards(pts: gpd.GeoDataFrame, wards: gpd.GeoDataFrame) -> np.ndarray:
    """Ward of each point, constrained to the point's own district (wards nest in districts)."""
    ward_codes = np.empty(len(pts), dtype=object)
    lad_of_point = pts.lad_code.to_numpy()
    for lad, idx in pd.Series(np.arange(len(pts))).groupby(lad_of_point):
        cand = wards[wards.lad_code == lad]
        pos, _ = locate_points(pts.geometry.values[idx.to_numpy()], cand.geometry.values, nearest=True)
        ward_codes[idx.to_numpy()] = cand.area_code.to_numpy()[pos]
    return ward_codes


def build_councils(src: Path, wards: gpd.GeoDataFrame, lsoa_table: pd.DataFrame) -> pd.DataFrame:
    """List upper-tier authorities (care commissioners) and districts with their totals."""
    utla_names = pd.read_csv(src / "census2021/census2021-ts007a-utla.csv")
    county_names = dict(zip(utla_names["geography code"], utla_names["geography"], strict=True))
    lad_names = wards.groupby("lad_code").lad_name.first().to_dict()
    sums = lsoa_table.assign(
        pop_65plus=lsoa_table[["pop_65_69", "pop_70_74", "pop_75_79", "pop_80_84", "pop_85plus"]].sum(axis=1),
        pop_75plus=lsoa_table[["pop_75_79", "pop_80_84", "pop_85plus"]].sum(axis=1),
    )
    rows = []
    for tier, col in (("upper", "utla_code"), ("district", "lad_code")):
        g = sums.groupby(col).agg(
            n_lsoa=("lsoa_code", "size"),
            pop_total=("pop_total", "sum"),
            pop_65plus=("pop_65plus", "sum"),
            pop_75plus=("pop_75plus", "sum"),
            pop_85plus=("pop_85plus", "sum"),
        )
        nw = wards.groupby(col).size().rename("n_wards")
        g = g.join(nw)
        parent = lsoa_table.groupby(col).utla_code.first()
        for code, r in g.iterrows():
            name = lad_names.get(code) or county_names.get(code)
            if name is None:
                raise SystemExit(f"No name for council {code}")
            rows.append(
                {
                    "code": code,
                    "name": name,
                    "tier": tier,
                    "parent_code": "" if tier == "upper" else parent[code],
                    "n_wards": int(r.n_wards),
                    "n_lsoa": int(r.n_lsoa),
                    "pop_total": int(r.pop_total),
                    "pop_65plus": int(r.pop_65plus),
                    "pop_75plus": int(r.pop_75plus),
                    "pop_85plus": int(r.pop_85plus),
                }
            )
    out = pd.DataFrame(rows)
    # A unitary is both tiers at once: list it once, as upper tier.
    out = out[~((out.tier == "district") & out.code.isin(out.loc[out.tier == "upper", "code"]))]
    return out.sort_values(["tier", "name"], ascending=[False, True]).reset_index(drop=True)


PROJECTIONS_RAW = "projections/snpp2022_migcat23_persons_age65plus_rows_somerset_thurrock.csv"
PROJECTIONS_OUT = "projections/snpp2022_65plus.csv"


def build_projections(src: Path, out: Path) -> dict:
    """Write the compact projections table; return its manifest entry."""
    raw = pd.read_csv(src / PROJECTIONS_RAW)
    table = snpp_totals(raw)
    (out / "projections").mkdir(parents=True, exist_ok=True)
    table.to_csv(out / PROJECTIONS_OUT, index=False, lineterminator="\n", float_format="%.1f")
    log(f"wrote {PROJECTIONS_OUT}: {table.council_code.nunique()} councils, {table.year.min()}-{table.year.max()}")
    return {
        "name": "Subnational population projections, 2022-based (migration-category variant), persons 65+",
        "publisher": "Office for National Statistics",
        "vintage": "June 2025",
        "licence": "Open Government Licence v3.0",
        "rows": len(raw),
        "councils": sorted(set(table.council_code)),
        "years": f"{table.year.min()}-{table.year.max()}",
        "output": PROJECTIONS_OUT,
    }


def write_manifest(out: Path, manifest: dict) -> None:
    """Write the manifest (stable formatting: the build is byte-identical)."""
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n")


def only_projections(src: Path, out: Path) -> int:
    """Rebuild the projections file and replace (or add) its entry, last, in the manifest."""
    entry = build_projections(src, out)
    manifest = json.loads((out / "manifest.json").read_text())
    manifest["sources"] = [s for s in manifest["sources"] if s.get("output") != PROJECTIONS_OUT] + [entry]
    write_manifest(out, manifest)
    return 0


def write_geoparquet(gdf: gpd.GeoDataFrame, path: Path) -> None:
    """Write GeoParquet with small row groups so per-council filters skip most of the file."""
    gdf.to_parquet(path, compression="zstd", row_group_size=2000, index=False, write_covering_bbox=False)


def main(argv: list[str] | None = None) -> int:
    """Run the build."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    root = Path(__file__).resolve().parent.parent
    parser.add_argument("--source", type=Path, default=root.parent / "shared" / "data")
    parser.add_argument("--out", type=Path, default=root / "data")
    parser.add_argument("--only", choices=["projections"], help="rebuild only this step")
    args = parser.parse_args(argv)
    src, out = args.source, args.out
    if not (src / "README.md").exists():
        print(f"error: raw data not found at {src} (pass --source)", file=sys.stderr)
        return 2
    if args.only == "projections":
        return only_projections(src, out)
    for sub in ("boundaries", "population", "demand"):
        (out / sub).mkdir(parents=True, exist_ok=True)

    layers, repaired = load_boundaries(src)
    lsoa_table = build_lsoa_table(src, layers["lsoa"])
    lsoa_table = attach_msoa_codes(lsoa_table, layers["msoa"])
    log("lsoa table: ages, disability, IoD 2025, rural-urban joined")

    points, pstats = build_points(src, layers["lsoa"], layers["wards"])
    assert set(points.lsoa_code) == set(lsoa_table.lsoa_code)

    councils = build_councils(src, layers["wards"], lsoa_table)
    n_upper = int((councils.tier == "upper").sum())
    log(f"councils: {n_upper} upper tier, {len(councils) - n_upper} districts")

    for name, g in layers.items():
        simple = simplify_coverage(g, SIMPLIFY_M[name])
        if name == "lsoa":
            simple = simple.merge(
                lsoa_table[["lsoa_code", "msoa_code"]], left_on="area_code", right_on="lsoa_code"
            ).drop(columns="lsoa_code")
        write_geoparquet(simple, out / "boundaries" / f"{name}.parquet")
        log(f"wrote boundaries/{name}.parquet (simplified {SIMPLIFY_M[name]:g} m)")
    lsoa_table.to_parquet(out / "population/lsoa.parquet", compression="zstd", index=False)
    points.to_parquet(out / "demand/points.parquet", compression="zstd", row_group_size=20000, index=False)
    councils.to_csv(out / "councils.csv", index=False, lineterminator="\n")
    log("wrote population/lsoa.parquet, demand/points.parquet, councils.csv")
    projections = build_projections(src, out)

    manifest = {
        "built_by": "scripts/build_data.py",
        "crs": BNG,
        "sources": [
            {
                "name": "Electoral wards (May 2025), England, BGC",
                "publisher": "Office for National Statistics",
                "vintage": "May 2025",
                "licence": "Open Government Licence v3.0",
                "rows": len(layers["wards"]),
                "invalid_geometries_repaired": repaired["wards"],
                "output": "boundaries/wards.parquet",
            },
            {
                "name": "Lower Layer Super Output Areas (2021), England, BGC",
                "publisher": "Office for National Statistics",
                "vintage": "2021",
                "licence": "Open Government Licence v3.0",
                "rows": len(layers["lsoa"]),
                "invalid_geometries_repaired": repaired["lsoa"],
                "output": "boundaries/lsoa.parquet",
            },
            {
                "name": "Middle Layer Super Output Areas (2021), England, BGC",
                "publisher": "Office for National Statistics",
                "vintage": "2021",
                "licence": "Open Government Licence v3.0",
                "rows": len(layers["msoa"]),
                "invalid_geometries_repaired": repaired["msoa"],
                "output": "boundaries/msoa.parquet",
            },
            {
                "name": "Census 2021 TS007A age by five-year bands; TS038 disability",
                "publisher": "Office for National Statistics",
                "vintage": "21 March 2021",
                "licence": "Open Government Licence v3.0",
                "rows": len(lsoa_table),
                "output": "population/lsoa.parquet",
            },
            {
                "name": "English Indices of Deprivation 2025 (LSOA 2021)",
                "publisher": "Ministry of Housing, Communities and Local Government",
                "vintage": "October 2025",
                "licence": "Open Government Licence v3.0",
                "rows": len(lsoa_table),
                "output": "population/lsoa.parquet",
            },
            {
                "name": "Rural-urban classification 2021 (LSOA)",
                "publisher": "Office for National Statistics",
                "vintage": "2021",
                "licence": "Open Government Licence v3.0",
                "rows": len(lsoa_table),
                "output": "population/lsoa.parquet",
            },
            {
                "name": "OS Code-Point Open",
                "publisher": "Ordnance Survey",
                "vintage": "October 2025 (v2025.4.0)",
                "licence": "Open Government Licence v3.0 (OS, Royal Mail, National Statistics)",
                "rows": int(pstats["demand_points"]),
                "output": "demand/points.parquet",
                **{k: int(v) for k, v in pstats.items()},
            },
            projections,
        ],
        "councils": {
            "upper_tier": int((councils.tier == "upper").sum()),
            "districts": int((councils.tier == "district").sum()),
        },
        "attribution": list(ATTRIBUTION),
    }
    write_manifest(out, manifest)
    size = sum(f.stat().st_size for f in out.rglob("*") if f.is_file())
    log(f"done: data/ is {size / 1e6:.1f} MB")
    return 0


T0 = time.perf_counter()

if __name__ == "__main__":
    raise SystemExit(main())
