"""One state model for the pages: settings kept between visits, figures always from the inputs on screen."""

from __future__ import annotations

import pytest

from gapmap.config import PACKAGE_ROOT


@pytest.fixture
def app(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))  # no saved records: Somerset's illustrative sample
    at = AppTest.from_file(str(PACKAGE_ROOT / "app.py"), default_timeout=180)
    at.run()
    return at


def go(at, page: str):
    """Go to another page as the browser does: the URL's query parameters are cleared."""
    at.switch_page(page)
    at.query_params.clear()
    return at.run()


def council(at, code: str):
    """Choose another council in the sidebar."""
    at.session_state["council"] = code
    at.query_params.clear()
    return at.run()


def money(text: str) -> float:
    return float(text.strip("£").replace(",", ""))


def tiles(at) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_economy_figures_follow_the_inputs_after_switching_council_and_back(app):
    go(app, "pages/economy.py")
    price = app.number_input(key="econ_hourly_rate_gbp_default")
    price.set_value(30.0).run()
    app.number_input(key="econ_local_spend_share_default").set_value(0.5).run()
    before = tiles(app)
    council(app, "E10000016")  # Kent: no records, the page stops early
    assert not app.exception and "No provider records for Kent" in app.info[0].value
    council(app, "E06000066")
    assert not app.exception
    # The inputs on screen are the ones set before, and every figure is computed from them.
    assert app.number_input(key="econ_hourly_rate_gbp_default").value == 30.0
    assert app.number_input(key="econ_local_spend_share_default").value == 0.5
    now = tiles(app)
    assert now == before
    hours = float(now["Hours of care a week"].replace(",", ""))
    income = money(now["Care bought a year"])
    assert income == pytest.approx(hours * 52 * 30.0, rel=1e-3)
    assert money(now["Money kept local a year (LM3 total)"]) == pytest.approx(income * 1.5, rel=1e-3)  # LM3 = 1 + 0.5
    assert money(app.subheader[0].value.split(" a year")[0]) == pytest.approx(income, abs=1)  # the headline


def test_a_pages_settings_are_kept_when_leaving_and_coming_back(app):
    app.selectbox(key="gap_band").set_value("85plus").run()
    app.slider(key="gap_radius").set_value(3.0).run()
    app.multiselect(key="gap_kinds").set_value(["day_centre"]).run()
    go(app, "pages/population_map.py")
    go(app, "pages/gaps.py")
    assert not app.exception
    assert app.selectbox(key="gap_band").value == "85plus"  # 85+ stays 85+
    assert app.slider(key="gap_radius").value == 3.0
    assert app.multiselect(key="gap_kinds").value == ["day_centre"]
    # The figures are those of the settings on screen.
    assert "More than 3 km from support" in tiles(app)
    assert app.session_state["gap_band"] == "85plus" and app.query_params["band"] == "85plus"  # the URL agrees


def test_settings_are_rechecked_when_they_no_longer_fit(app):
    # A kept value that is not allowed any more (here a crafted one) falls back to the default.
    app.session_state["_gapmap_settings"] = {"gap_band": "90plus", "gap_radius": 99.0}
    go(app, "pages/economy.py")
    go(app, "pages/gaps.py")
    assert not app.exception
    assert app.selectbox(key="gap_band").value == "65plus"
    assert app.slider(key="gap_radius").value == 5.0


def test_no_widget_gets_both_a_default_and_a_session_state_value(tmp_path, monkeypatch):
    from streamlit.elements.lib import policies
    from streamlit.testing.v1 import AppTest

    seen = []
    monkeypatch.setattr(policies, "_shown_default_value_warning", False)  # Streamlit warns once per process
    monkeypatch.setattr(policies._LOGGER, "warning", lambda msg, *args, **kw: seen.append(msg % args))
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    at = AppTest.from_file(str(PACKAGE_ROOT / "app.py"), default_timeout=180)
    at.query_params["kinds"] = "day_centre,other"  # a bookmarked view sets the widgets' values
    at.query_params["band"] = "85plus"
    at.run()
    assert at.multiselect(key="gap_kinds").value == ["day_centre", "other"]
    for page in ("pages/plan.py", "pages/economy.py", "pages/closures.py", "pages/population_map.py", "pages/gaps.py"):
        go(at, page)
        assert not at.exception
    go(at, "pages/plan.py")
    assert not at.exception
    assert seen == []


def test_the_slides_say_whose_plan_and_assumptions_they_carry(app):
    captions = lambda: " ".join(c.value for c in app.caption)  # noqa: E731
    assert "no recruitment plan" in captions() and "published default economy assumptions" in captions()
    go(app, "pages/plan.py")
    go(app, "pages/economy.py")
    app.number_input(key="econ_hourly_rate_gbp_default").set_value(30.0).run()
    go(app, "pages/gaps.py")
    assert not app.exception
    # The deck's parts are this session's: the plan as made, the economy at the rate just entered.
    from pages import _state

    plan = app.session_state["recruitment_plan"]
    # Up to 10 sites: fewer when fewer already bring everyone within reach (the displaced points
    # the plan starts from are keyed by this install's own secret, new in each test).
    assert 1 <= plan.n_sites <= 10
    assert f"your recruitment plan ({plan.n_sites} sites" in captions() and "your economy assumptions" in captions()
    params, kinds = app.session_state["economy_assumptions"]
    assert plan.council == "E06000066" and params.hourly_rate_gbp == 30.0 and kinds == ("micro_enterprise",)
    assert _state.PLAN == "recruitment_plan" and _state.ECONOMY == "economy_assumptions"
