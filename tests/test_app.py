"""AppTest smoke tests: each page runs and shows the right figures."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")


def run_app(**session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    for k, v in session.items():
        at.session_state[k] = v
    return at.run()


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
    at = run_app()
    at.switch_page("pages/sources.py").run()
    assert not at.exception
    assert at.title[0].value == "Data and sources"
    text = " ".join(m.value for m in at.markdown)
    assert "Open Government Licence" in text and "MHCLG" in text
    assert "OS Code-Point Open" in at.dataframe[0].value.name.tolist()
