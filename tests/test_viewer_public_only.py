"""What a viewer receives is computed from public information only (issues #18 and #19).

Two registries hold the same public facts and different private ones: the same micro-provider
homes (so the same displaced points) and the same day centre, but other names, ids, services,
capacities and upload order. Every page a viewer can open, in both viewer modes, must send the
browser exactly the same thing from either registry: no figure, table, map layer, label or
download address may follow from a private field. A second test checks the other half: the
figures a viewer sees are those of the public providers (the displaced points), not of the homes.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import shutil
from datetime import date
from pathlib import Path

import pytest
import streamlit as st
from streamlit.runtime.media_file_manager import MediaFileManager

from gapmap import privacy
from gapmap.analysis import AnalysisRequest, analyse
from gapmap.cli import main as cli_main
from gapmap.population import load_council
from gapmap.records import load_providers
from tests.test_app_roles import APP, PERSONAL, RECORDS, everything_sent, signed_in
from tests.test_app_roles import home as home  # noqa: F401  (the fixture)

pytestmark = pytest.mark.slow  # every viewer page, twice each, in two modes: about a minute

# The same homes and day centre as tests/test_app_roles.RECORDS; every private field changed,
# and the rows in another order.
OTHER_RECORDS = """id,name,kind,services,capacity,start_date,postcode
ZQX-005,Hollowmere Day Centre,day_centre,day activities,30,01/01/2005,TA7 0LU
QQ-9,Wilhelmina Ashcombe Care,micro_enterprise,peer support,9,01/01/2020,BA21 5FJ
QQ-7,Cuthbert Ravensworth,micro_enterprise,home help,1,01/01/2020,BS28 4PD
QQ-8,Persephone Tollemache,micro_enterprise,day activities,7,01/01/2020,TA24 8EA
QQ-6,Ignatius Fairweather,micro_enterprise,home care,2,01/01/2020,TA1 4LH
"""
VIEWER_PAGES = (
    None,  # the default page: Where care is short
    "pages/plan.py",
    "pages/closures.py",
    "pages/economy.py",
    "pages/population_map.py",
    "pages/sources.py",
    "pages/accessibility.py",
)


def test_the_list_covers_every_page_a_viewer_can_open():
    text = Path(APP).read_text(encoding="utf-8")
    listed = set(re.findall(r'"(pages/[a-z_]+\.py)"', text))
    not_for_viewers = {"pages/records.py", "pages/users.py"}  # refused to viewers (tests/test_app_roles.py)
    assert listed - not_for_viewers <= {p for p in VIEWER_PAGES if p} | {"pages/gaps.py"}


def _sent(page: str | None, mode: str, where) -> str:
    """Everything the page sends a viewer, then the bytes of every download it offers."""
    st.cache_resource.clear()  # nothing computed for one registry may serve the other
    st.cache_data.clear()
    made: list[tuple[str, object]] = []
    add = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made.append((str(file_name), data_callable))
        return add(self, data_callable, mimetype, coordinates, file_name, **kw)

    MediaFileManager.add_deferred = record  # downloads made when clicked: made here, one by one
    try:
        at = signed_in("vera", privacy=mode)
        if page:
            made.clear()
            at.switch_page(page).run()
    finally:
        MediaFileManager.add_deferred = add
    assert not at.exception
    sent = everything_sent(at).replace(str(where), "<home>")
    # A download made when clicked has a random id per run, not a content hash; the registry's
    # cache key holds its path and write time.
    sent = re.sub(r'file_id: "[0-9a-f]+"', "file_id", sent)
    sent = re.sub(r"registry:E06000066:[^|\"'\s]+", "registry", sent)
    for name, make in made:
        data = make()
        data = data.encode() if isinstance(data, str) else bytes(data)
        if name.endswith(".html"):  # folium names each map element with a random id
            data = re.sub(rb"_[0-9a-f]{32}\b", b"_id", data)
        sent += f"\n--- download {name}: {hashlib.sha256(data).hexdigest()}"
    return sent


@pytest.mark.parametrize("mode", ["counts", "displaced"])
def test_private_fields_change_nothing_a_viewer_receives(home, monkeypatch, tmp_path_factory, mode):  # noqa: F811
    # Make the install key first, so both registries move the homes with the same one.
    privacy.load_or_create_secret(home)
    first = {}
    for page in VIEWER_PAGES:
        first[page] = _sent(page, mode, home)
    other = tmp_path_factory.mktemp("other")
    for name in ("users.toml", "secret.key"):
        shutil.copy2(home / name, other / name)
    monkeypatch.setenv("GAPMAP_HOME", str(other))
    (other / "providers.csv").write_text(OTHER_RECORDS, encoding="utf-8")
    assert cli_main(["import", str(other / "providers.csv"), "--council", "E06000066", "--by", "Setup"]) == 0
    names = ["Wilhelmina", "Ravensworth", "Persephone", "Ignatius", "QQ-"]
    for page in VIEWER_PAGES:
        second = _sent(page, mode, other)
        assert "gapmap" in second  # a page was drawn
        for word in [*PERSONAL, *names]:
            assert word not in second, (page, word)
        assert first[page] == second, page


def test_a_viewers_figures_are_those_of_the_displaced_points(home):  # noqa: F811
    """The gaps page's tiles for a viewer equal the analysis of the public providers, not of the homes."""
    st.cache_resource.clear()
    at = signed_in("vera", privacy="counts")
    assert not at.exception
    shown = {m.label: m.value for m in at.metric}
    data = load_council("E06000066")
    records = load_providers(home / "providers.csv" if (home / "providers.csv").exists() else _records_file(home),
                             outline=data.outline()).accepted  # fmt: skip
    public = privacy.providers_for(records, mode="counts", secret=privacy.load_or_create_secret(home))
    request = AnalysisRequest(as_at=date.today())
    beyond = next(k for k in shown if k.startswith("More than"))

    def figure(providers) -> str:
        return f"{analyse(data, providers, request).areas.pop_beyond_radius.sum():,.0f}"

    assert shown[beyond] == figure(public.frame)
    assert figure(public.frame) != figure(records)  # so the tile really tells the two apart


def _records_file(home):
    path = home / "given.csv"
    path.write_text(RECORDS, encoding="utf-8")
    return path


@pytest.mark.parametrize("mode", ["counts", "displaced"])
def test_no_viewer_output_differs_with_the_public_layer_in_place_of_the_records(home, monkeypatch, mode):  # noqa: F811
    """Every page reads the providers only through the one rule: given the public form in place
    of the exact records (the displaced points, no private field), a viewer gets the same bytes.
    A page that read the records any other way (the registry, the sample, another cache) would
    show the difference."""
    from pages import _shared

    privacy.load_or_create_secret(home)
    first = {page: _sent(page, mode, home) for page in VIEWER_PAGES}
    exact_records = _shared.provider_records

    def public_in_place(code: str):
        source = exact_records(code)
        if source is None:
            return None
        public = privacy.public_providers(source.given, secret=_shared.install_secret()).frame
        assert not public.geometry.geom_equals(source.given.geometry.reset_index(drop=True)).all()
        return dataclasses.replace(source, given=public)

    monkeypatch.setattr(_shared, "provider_records", public_in_place)
    for page in VIEWER_PAGES:
        assert _sent(page, mode, home) == first[page], page


def test_an_imported_displaced_column_does_not_stop_the_displacement(tmp_path):
    """A council's spreadsheet with its own "displaced" column is read without it: every home is moved."""
    data = load_council("E06000066")
    path = tmp_path / "providers.csv"
    header, *rows = RECORDS.strip().splitlines()
    csv = "\n".join([f"{header},displaced", *(f"{row},true" for row in rows)]) + "\n"
    path.write_text(csv, encoding="utf-8")
    records = load_providers(path, outline=data.outline()).accepted
    assert privacy.DISPLACED not in records
    public = privacy.public_providers(records, secret=bytes(32)).frame
    micro = records[records.kind.eq("micro_enterprise")]
    moved = public[public.kind.eq("micro_enterprise")]
    home_xy = {(round(x), round(y)) for x, y in zip(micro.geometry.x, micro.geometry.y, strict=True)}
    assert not home_xy & {(round(x), round(y)) for x, y in zip(moved.geometry.x, moved.geometry.y, strict=True)}
