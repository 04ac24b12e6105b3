import hashlib
import stat
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from scipy.spatial import cKDTree

from gapmap.config import BNG, PACKAGE_ROOT
from gapmap.export import neutralise_formulas, to_csv_bytes, to_geojson_bytes
from gapmap.gaps import providers_per_area
from gapmap.population import area_codes
from gapmap.privacy import (
    FEWER_THAN,
    MAX_DISPLACEMENT_M,
    MIN_DISPLACEMENT_M,
    PUBLIC_COLUMNS,
    PrivacyError,
    SecretError,
    displace,
    for_display,
    load_or_create_secret,
    offsets,
    public_layer,
    suppress_counts,
    suppress_small_areas,
)
from gapmap.records import load_providers

KEY = bytes(range(32))
SAMPLE = PACKAGE_ROOT / "data" / "sample" / "somerset_providers_illustrative.csv"


@pytest.fixture
def providers():
    return gpd.GeoDataFrame(
        {
            "id": ["a", "b", "c"],
            "name": ["Ann Smith Care", "Bob Jones Help", "Town Day Centre"],
            "kind": ["micro_enterprise", "micro_enterprise", "day_centre"],
            "capacity": [4.0, 7.0, 30.0],
            "start_date": pd.to_datetime(["2015-01-01", "2016-01-01", "2000-01-01"]),
            "end_date": pd.to_datetime([None, "2020-01-01", "2018-06-30"]),
            "easting": [300_000.0, 310_000.0, 320_000.0],
            "northing": [100_000.0] * 3,
        },
        geometry=gpd.points_from_xy([300_000, 310_000, 320_000], [100_000] * 3),
        crs=BNG,
    )


# --- Displacement ---------------------------------------------------------------------


def test_offsets_stay_in_the_donut_and_are_uniform_in_area():
    rng = np.random.default_rng(1)
    x, y = rng.uniform(100_000, 600_000, 4000), rng.uniform(50_000, 600_000, 4000)
    dx, dy = offsets(x, y, KEY)
    r = np.hypot(dx, dy)
    assert r.min() >= MIN_DISPLACEMENT_M and r.max() <= MAX_DISPLACEMENT_M
    # Uniform in area: P(r <= s) = (s² − r0²) / (r1² − r0²), so the median is sqrt((r0² + r1²) / 2) ≈ 1,075 m,
    # not the midpoint 875 m a uniform distance would give.
    assert np.median(r) == pytest.approx(np.sqrt((MIN_DISPLACEMENT_M**2 + MAX_DISPLACEMENT_M**2) / 2), rel=0.03)
    # Uniform direction: the mean unit vector is close to zero (for 4,000 draws its length is ~1/sqrt(4000)).
    assert np.hypot(np.mean(dx / r), np.mean(dy / r)) < 0.05
    # Not a fixed distance: plenty of spread.
    assert r.std() > 250


def test_offsets_are_keyed_and_depend_only_on_the_place():
    x, y = np.array([300_000.0, 300_000.0, 300_100.0]), np.array([100_000.0, 100_000.0, 100_000.0])
    dx, dy = offsets(x, y, KEY)
    assert (dx[0], dy[0]) == (dx[1], dy[1])  # the same home always moves the same way
    assert (dx[0], dy[0]) != (dx[2], dy[2])
    ex, ey = offsets(x, y, bytes(32))  # another install's secret: unrelated offsets
    assert not np.allclose(dx, ex) and not np.allclose(dy, ey)
    with pytest.raises(PrivacyError):
        offsets(x, y, b"short")


def test_displace_moves_only_micro_providers_and_leaves_the_input(providers):
    moved = displace(providers, KEY)
    d = moved.distance(providers)
    assert MIN_DISPLACEMENT_M <= d.iloc[0] <= MAX_DISPLACEMENT_M
    assert MIN_DISPLACEMENT_M <= d.iloc[1] <= MAX_DISPLACEMENT_M
    assert d.iloc[2] == 0  # a day centre is a public venue
    assert moved.easting.tolist() == moved.geometry.x.tolist()
    assert providers.geometry.x.iloc[0] == 300_000
    # Renaming or re-numbering a provider does not change where it is drawn (no averaging over re-imports).
    renamed = displace(providers.assign(id=["x", "y", "z"]), KEY)
    assert renamed.geometry.equals(moved.geometry)
    with pytest.raises(PrivacyError):
        displace(providers.to_crs(4326), KEY)


def test_public_layer_holds_nothing_personal(providers):
    layer = public_layer(providers, mode="displaced", secret=KEY, as_at=date(2019, 1, 1))
    assert list(layer.columns) == [*PUBLIC_COLUMNS, "geometry"]
    # On 1 Jan 2019: both micro-providers open; the day centre closed (public venue, exact place, date kept).
    assert sorted(zip(layer.kind, layer.status, strict=True)) == [
        ("day_centre", "closed"),
        ("micro_enterprise", "open"),
        ("micro_enterprise", "open"),
    ]
    closed = layer[layer.status == "closed"].iloc[0]
    assert closed.closed_on == "2018-06-30" and closed.geometry.x == 320_000
    micro = layer[layer.kind == "micro_enterprise"]
    homes = {(300_000.0, 100_000.0), (310_000.0, 100_000.0)}
    assert not set(zip(micro.geometry.x, micro.geometry.y, strict=True)) & homes
    assert micro.closed_on.isna().all()
    text = to_geojson_bytes(layer).decode()  # what a download or the CLI writes
    for secret_word in ("Ann Smith", "Bob Jones", "Town Day", '"a"', "capacity", "start_date", '"id"'):
        assert secret_word not in text
    # Later: the second micro-provider has closed, so it is not in the layer at all.
    later = public_layer(providers, mode="displaced", secret=KEY, as_at=date(2021, 1, 1))
    assert (later.kind == "micro_enterprise").sum() == 1


def test_public_layer_counts_mode_and_exact_refused(providers):
    layer = public_layer(providers, mode="counts", secret=KEY, as_at=date(2017, 1, 1))
    assert layer.kind.tolist() == ["day_centre"]
    # Counts mode moves nothing, so it needs no install key (hand-outs made without one).
    keyless = public_layer(providers, mode="counts", secret=b"", as_at=date(2017, 1, 1))
    pd.testing.assert_frame_equal(pd.DataFrame(keyless), pd.DataFrame(layer))
    with pytest.raises(PrivacyError):
        public_layer(providers, mode="displaced", secret=b"", as_at=date(2017, 1, 1))
    with pytest.raises(PrivacyError, match="never part of the public layer"):
        public_layer(providers, mode="exact", secret=KEY, as_at=date(2017, 1, 1))
    with pytest.raises(PrivacyError):
        public_layer(providers, mode="blurred", secret=KEY, as_at=date(2017, 1, 1))


def test_public_layer_order_does_not_follow_the_upload(providers):
    forward = public_layer(providers, mode="displaced", secret=KEY, as_at=date(2017, 1, 1))
    backward = public_layer(providers.iloc[::-1], mode="displaced", secret=KEY, as_at=date(2017, 1, 1))
    pd.testing.assert_frame_equal(pd.DataFrame(forward), pd.DataFrame(backward))


def test_for_display_modes(providers):
    assert for_display(providers, "exact", secret=KEY) is providers
    assert for_display(providers, "counts", secret=KEY).kind.tolist() == ["day_centre"]
    with pytest.raises(PrivacyError):
        for_display(providers, "blurred", secret=KEY)


# --- The secret -----------------------------------------------------------------------


def test_secret_is_created_once_private_and_reused(tmp_path):
    home = tmp_path / "home"
    key = load_or_create_secret(home)
    assert len(key) == 32
    path = home / "secret.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(home.stat().st_mode) == 0o700
    assert load_or_create_secret(home) == key
    assert load_or_create_secret(tmp_path / "other") != key  # per install, not a shared constant
    path.write_bytes(b"x")
    with pytest.raises(SecretError, match="damaged"):
        load_or_create_secret(home)


def test_secret_where_a_file_blocks_the_folder(tmp_path):
    (tmp_path / "home").write_text("not a folder")
    with pytest.raises(SecretError, match="cannot read or create"):
        load_or_create_secret(tmp_path / "home")


# --- Counts ---------------------------------------------------------------------------


def test_suppress_counts_hand_worked():
    # The total is published, so the small cells' sum (3) would be known: the smallest larger cell goes too.
    shown = suppress_counts(pd.Series([0, 1, 2, 3, 7, 12], index=list("abcdef")))
    assert shown.to_dict() == {"a": FEWER_THAN, "b": FEWER_THAN, "c": FEWER_THAN, "d": "not shown", "e": "7", "f": "12"}
    # One small cell alone: total minus the rest would give it away, so the smallest other count goes too.
    lone = suppress_counts(pd.Series([2, 5, 4, 9]))
    assert lone.tolist() == [FEWER_THAN, "5", "not shown", "9"]
    assert suppress_counts(pd.Series([1, 1])).tolist() == [FEWER_THAN, FEWER_THAN]
    # Withholding the 3 alone would say the small cells are empty (hidden sum 3, the 3 at least 3):
    # 3 and 4 together still would not leave room for a 2, so every cell is withheld.
    shown = suppress_counts(pd.Series([3.0, np.nan, 4.0, 0.0]))
    assert shown.tolist() == ["not shown", FEWER_THAN, "not shown", FEWER_THAN]


# --- The attack from the issue --------------------------------------------------------


@pytest.fixture(scope="module")
def homes(somerset):
    """The illustrative sample's micro-providers (on real Somerset postcodes) and all postcodes."""
    providers = load_providers(SAMPLE, outline=somerset.outline()).accepted
    micro = providers[providers.kind == "micro_enterprise"]
    pts = somerset.points[somerset.points.postcode.notna()]
    return micro, pts


def _attack(shown: np.ndarray, pts: gpd.GeoDataFrame, lo: float, hi: float) -> np.ndarray:
    """The attacker's best postcode for each shown point.

    Candidates: every postcode at a distance the scheme allows. The displacement is uniform
    over the ring, so the likelihood is flat over candidates and the best guess is the one
    with the highest prior: the most people aged 65+ (sole traders and the sample both follow
    where older people live). A fixed-distance scheme gives lo == hi ± 2 m.
    """
    xy = np.c_[pts.geometry.x, pts.geometry.y]
    prior = pts.pop_65plus.to_numpy()
    tree = cKDTree(xy)
    guesses = []
    for sx, sy in shown:
        idx = np.asarray(tree.query_ball_point((sx, sy), hi), dtype=int)
        d = np.hypot(xy[idx, 0] - sx, xy[idx, 1] - sy)
        cands = idx[(d >= lo) & (d <= hi)]
        guesses.append(pts.postcode.iloc[cands[np.argmax(prior[cands])]] if len(cands) else None)
    return np.array(guesses, dtype=object)


def test_the_public_layer_resists_the_ring_attack(homes):
    micro, pts = homes
    assert len(micro) >= 400
    for secret in (bytes(range(32)), b"another install's secret key....", hashlib.sha256(b"third").digest()):
        layer = public_layer(
            micro, mode="displaced", secret=secret, as_at=date(2030, 1, 1), kinds=("micro_enterprise",)
        )
        shown = np.c_[layer.geometry.x, layer.geometry.y]
        # The layer has no id; to score each guess, find whose home each shown point came from.
        moved = displace(micro, secret)
        owner = {(x, y): pc for x, y, pc in zip(moved.geometry.x, moved.geometry.y, micro.postcode, strict=True)}
        truth = np.array([owner[(x, y)] for x, y in shown], dtype=object)
        assert len(truth) == (micro.end_date.isna() | (micro.end_date > pd.Timestamp("2030-01-01"))).sum()
        guesses = _attack(shown, pts, MIN_DISPLACEMENT_M, MAX_DISPLACEMENT_M)
        exact = (guesses == truth).mean()
        assert exact <= 0.05, exact
        # (Guesses landing on *some* provider's home run at 4-6%, but an attacker who has seen nothing also
        # gets about 4% by naming postcodes with many older people, because that is where the sample is.)


def test_the_old_fixed_500_m_scheme_fails_the_same_attack(homes):
    """The attack is strong enough to fail: the scheme the issue broke recovers most homes."""
    micro, pts = homes

    def old_angle(key: str) -> float:  # the old public-salt direction
        digest = hashlib.sha256(f"gapmap:{key}".encode()).digest()
        return int.from_bytes(digest[:8], "big") / 2**64 * 2 * np.pi

    angles = np.array([old_angle(str(i)) for i in micro.id])
    shown = np.c_[micro.geometry.x + 500 * np.cos(angles), micro.geometry.y + 500 * np.sin(angles)]
    recovery = (_attack(shown, pts, 498, 502) == micro.postcode.to_numpy()).mean()
    assert recovery > 0.5


def test_hex_counts_never_show_one_or_two(homes, somerset):
    micro, _ = homes
    codes, polygons = area_codes(somerset, "hex", hex_size_m=500)
    del codes
    counts = providers_per_area(micro, polygons, "hex", hex_size_m=500).n_micro_enterprise
    assert (counts == 1).sum() > 100  # the leak the issue found: many hexes hold exactly one
    shown = suppress_counts(counts)
    assert not shown.isin(["1", "2"]).any()
    assert (shown == FEWER_THAN).sum() >= (counts < 3).sum()


def test_csv_exports_neutralise_formulas():
    frame = pd.DataFrame({"name": ['=HYPERLINK("x")', "+44 1823", "-cmd", "@SUM(A1)", "Ann"], "n": [1, 2, 3, 4, 5]})
    safe = neutralise_formulas(frame)
    assert safe.name.tolist() == ['\'=HYPERLINK("x")', "'+44 1823", "'-cmd", "'@SUM(A1)", "Ann"]
    assert safe.n.tolist() == [1, 2, 3, 4, 5]
    text = to_csv_bytes(frame).decode("utf-8-sig")
    cells = [line.split(",")[0].strip('"') for line in text.splitlines()[1:]]
    assert cells == ['\'=HYPERLINK(""x"")', "'+44 1823", "'-cmd", "'@SUM(A1)", "Ann"]


def test_suppress_small_areas_blanks_what_follows_from_few_providers():
    table = pd.DataFrame(
        {"area": ["a", "b", "c", "d"], "providers": [0, 2, 5, 9], "hours": [0.0, 30.0, 70.0, 120.0]},
        index=[10, 11, 12, 13],
    )
    out = suppress_small_areas(table, count="providers", derived=("hours",))
    assert out.providers.tolist() == [FEWER_THAN, FEWER_THAN, "not shown", "9"]  # the sum 2 would be known
    assert out.hours.isna().tolist() == [True, True, True, False]
    assert out.area.tolist() == ["a", "b", "c", "d"] and out.index.tolist() == [10, 11, 12, 13]
    assert table.providers.tolist() == [0, 2, 5, 9]  # input untouched
