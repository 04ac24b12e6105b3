"""AppTest smoke tests: each page runs and shows the right figures."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def run_app(page: str | None = "pages/population_map.py", **session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    if page:
        at.switch_page(page).run()
    return at


def test_population_page_defaults_to_somerset():
    at = run_app()
    assert not at.exception
    assert at.title[0].value == "Older population — Somerset"
    assert [m.value for m in at.metric] == ["571,589", "141,899", "67,156", "19,414"]
    assert at.sidebar.selectbox[0].value == "E06000066"
    captions = " ".join(c.value for c in at.sidebar.caption)
    assert "Contains OS data © Crown copyright" in captions and "Royal Mail" in captions


@pytest.mark.parametrize("level", ["lsoa", "msoa", "hex"])
def test_other_levels_keep_the_totals(level):
    at = run_app()
    at.selectbox(key="level").set_value(level).run()
    assert not at.exception
    assert [m.value for m in at.metric] == ["571,589", "141,899", "67,156", "19,414"]
    assert len(at.dataframe) == 1


def test_choosing_another_council():
    at = run_app()
    at.sidebar.selectbox[0].set_value("E06000034").run()
    assert not at.exception
    assert at.title[0].value == "Older population — Thurrock"
    assert at.metric[0].value == "175,970" and at.metric[1].value == "23,848"


def test_parish_level_asks_for_a_file():
    at = run_app()
    at.selectbox(key="level").set_value("parish").run()
    assert not at.exception
    assert "Upload a parish" in at.info[0].value


def test_sources_page_shows_manifest_and_attribution():
    at = run_app("pages/sources.py")
    assert not at.exception
    assert at.title[0].value == "Data and sources"
    text = " ".join(m.value for m in at.markdown)
    assert "Open Government Licence" in text and "MHCLG" in text
    assert "OS Code-Point Open" in at.dataframe[0].value.name.tolist()


def test_gaps_page_is_the_start_page_and_labels_the_sample():
    at = run_app(page=None)
    assert not at.exception
    assert at.title[0].value == "Where care is short — Somerset"
    assert "Illustrative sample — not real providers" in at.warning[0].value
    assert int(at.metric[0].value.replace(",", "")) > 400  # providers open today in the sample
    assert any("Illustrative sample" in c.value for c in at.caption)


def test_gaps_page_without_records_points_to_import():
    at = run_app(page=None)
    at.sidebar.selectbox[0].set_value("E10000016").run()
    assert not at.exception
    assert "No provider records for Kent" in at.info[0].value


def test_records_page_shows_the_sample_until_an_import(tmp_path, monkeypatch):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    at = run_app("pages/records.py")
    assert not at.exception
    assert "Illustrative sample — not real providers" in at.warning[0].value
    assert "Nothing saved for this council yet." in [m.value for m in at.markdown]


@pytest.mark.parametrize(
    ("level", "metric"), [("hex", "access_e2sfca"), ("msoa", "nearest_km"), ("lsoa", "unmet_need")]
)
def test_gaps_page_levels_and_metrics(level, metric):
    at = run_app(page=None)
    at.selectbox(key="gap_level").set_value(level).run()
    at.selectbox(key="gap_metric").set_value(metric).run()
    assert not at.exception
    # Every area is listed (scrollable), not just the top 15.
    from gapmap.population import load_council, population_by_area

    assert len(at.dataframe) == 1
    assert len(at.dataframe[0].value) == len(population_by_area(load_council("E06000066"), level)) > 15


def test_gaps_page_as_at_date_changes_supply():
    from datetime import date

    at = run_app(page=None)
    now = int(at.metric[0].value.replace(",", ""))
    at.date_input(key="gap_as_at").set_value(date(2015, 1, 1)).run()
    assert not at.exception
    then = int(at.metric[0].value.replace(",", ""))
    assert 60 <= then <= 80 < 400 < now  # ~50 micro-enterprises and ~20 day centres open in 2015


def test_gaps_page_downloads_still_build_with_an_area_chosen(monkeypatch):
    """Every download of the start page is made when clicked, after an area has been chosen too.

    (The page was once one script in which the area's chart table took the map's name, so the
    offline map, made later on the click, was drawn from the chart table.)
    """
    from streamlit.runtime.media_file_manager import MediaFileManager

    made = []
    add = MediaFileManager.add_deferred

    def record(self, data_callable, mimetype, coordinates, file_name=None, **kw):
        made.append((str(file_name), data_callable))
        return add(self, data_callable, mimetype, coordinates, file_name, **kw)

    monkeypatch.setattr(MediaFileManager, "add_deferred", record)
    at = run_app(page=None)
    from gapmap.population import load_council

    made.clear()
    at.session_state["gap_area"] = load_council("E06000066").boundaries["wards"].area_code.iloc[0]
    at.run()
    assert not at.exception and at.subheader[0].value
    names = [name for name, _ in made]
    assert any(n.endswith("-map.html") for n in names) and any(n.endswith(".geojson") for n in names)
    for name, make in made:
        data = make()
        data = data.encode() if isinstance(data, str) else bytes(data)
        assert len(data) > 100, name
        if name.endswith("-map.html"):
            assert b"<html" in data[:2000].lower() and b"leaflet" in data.lower()


def test_records_page_with_saved_records_edits_and_exports(tmp_path, monkeypatch):
    import json
    import re

    from gapmap.cli import main

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    messy = ROOT / "tests" / "data" / "messy_providers.csv"
    assert main(["import", str(messy), "--council", "E06000066", "--by", "Tester", "--force"]) == 1
    at = run_app("pages/records.py")
    assert not at.exception
    assert "Using **your council's records**: 4 providers" in at.success[0].value
    assert at.button(key="save_edits").label == "Save changes"  # the editor is offered
    # Readable headings on the editor (its columns keep their codes) and minutes, not ISO, in the log.
    editor, history = at.dataframe[0], at.dataframe[-1]
    headings = {k: v.get("label") for k, v in json.loads(editor.proto.columns).items() if k != "_index"}
    assert set(headings) >= {"id", "kind", "capacity", "start_date", "easting", "postcode"}
    assert all(label and "_" not in label and label != code for code, label in headings.items())
    assert headings["start_date"] == "Opened" and headings["easting"] == "Easting (m)"
    # Dates blank when there is none (never "None"), as typed; coordinates shown to whole metres.
    columns = json.loads(editor.proto.columns)
    assert columns["easting"]["type_config"]["format"] == "%.0f"
    assert columns["northing"]["type_config"]["format"] == "%.0f"
    cells = editor.value
    assert set(cells.end_date) == {""} and all(re.fullmatch(r"\d\d/\d\d/\d{4}", d) for d in cells.start_date)
    assert list(history.value.columns)[:3] == ["File", "Imported by", "Imported (UTC)"]
    when = history.value["Imported (UTC)"].iloc[-1]
    assert re.fullmatch(r"\d\d [A-Z][a-z]{2} \d{4}, \d\d:\d\d", when), when
    assert when in at.success[0].value  # the headline's "last import" reads the same way
    # The gaps page now uses them, unlabelled: they are the council's own.
    at.switch_page("pages/gaps.py").run()
    assert not at.exception and not at.warning
    assert at.metric[0].value == "4"
    # Exports include dates as ISO text.
    from gapmap import registry
    from gapmap.export import to_geojson_bytes

    records, _ = registry.load(registry.Registry.default())
    features = json.loads(to_geojson_bytes(records))["features"]
    assert {f["properties"]["start_date"] for f in features} >= {"2019-04-03"}


def test_records_page_offers_earlier_versions_behind_a_confirmation(tmp_path, monkeypatch):
    # (AppTest does not deliver button clicks through st.navigation here; restore itself is
    # tested in test_registry.py, the click in a browser.)
    from gapmap import registry
    from gapmap.cli import main

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    messy = ROOT / "tests" / "data" / "messy_providers.csv"
    assert main(["import", str(messy), "--council", "E06000066", "--by", "Ann", "--force"]) == 1
    one = tmp_path / "one.csv"
    one.write_text("id,name,postcode\nN1,New,TA1 4LH\n")
    assert main(["import", str(one), "--council", "E06000066", "--by", "Bo"]) == 0
    at = run_app("pages/records.py")
    assert not at.exception and "1 providers" in at.success[0].value
    version = registry.Registry.default().token()
    options = at.selectbox(key=f"restore_pick_{version}").options
    assert len(options) == 2 and "4 records for Somerset" in options[0] and "by Bo" in options[0]
    assert at.button(key="restore_go").disabled  # asks for confirmation first
    at.checkbox(key=f"restore_sure_{version}").check().run()
    assert not at.button(key="restore_go").disabled


def test_the_first_full_run_freezes_what_is_loaded_once_per_server():
    """After a run, the loaded libraries and council are out of the collector's sight, once."""
    import gc

    from pages import _shared

    gc.unfreeze()
    _shared._server().pop("frozen", None)
    assert gc.get_freeze_count() == 0
    at = run_app(page=None)
    assert not at.exception
    frozen = gc.get_freeze_count()
    assert frozen > 10_000  # at least the imported libraries
    gc.unfreeze()
    at.run()  # a later run does not freeze again
    assert gc.get_freeze_count() == 0
