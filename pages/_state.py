"""One state model for the pages: settings kept between visits, and the work handed between pages.

**Settings.** Streamlit forgets a widget's value when a run does not draw the widget (the user
went to another page, or the page stopped early for a council without records); coming back,
the widget would start from its default, and a widget given both a default and a value set in
session state makes Streamlit warn. So every page setting goes through :func:`setting` before
its widget, and the widget is created with its ``key`` only (no ``value``, ``default`` or
``index``): session state is the one source of the value, and what the widget shows is what the
page computes with. :func:`setting` keeps the last value seen in a store of its own, gives it
back when the widget comes back, and checks it against what is allowed now (a council's
options, the privacy setting), falling back to the default when it no longer fits.

**Work.** The recruitment plan (:class:`gapmap.plan.RecruitmentPlan`) and the economy
assumptions are kept by the page that made them and read by the others (the economy page,
the deck and presentation mode), always checked against the council on screen.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence

import streamlit as st

from gapmap.analysis import Analysis
from gapmap.economy import EconomyParams
from gapmap.plan import RecruitmentPlan, plan_for
from gapmap.population import BAND_LABELS
from gapmap.story import Plan, economy_for

KEPT = "_gapmap_settings"
"""Session-state key of the kept settings (``{widget key: last value}``)."""

RUN = "_gapmap_run"
"""Session-state key of the number of this session's runs through app.py (:func:`begin_run`)."""

SEEN = "_gapmap_seen"
"""Session-state key of ``{widget key: the run that last drew it}``."""

PLAN = "recruitment_plan"
"""Session-state key of the plan made on the Plan recruitment page."""

ECONOMY = "economy_assumptions"
"""Session-state key of the economy page's assumptions and kinds: ``(EconomyParams, kinds)``."""


def setting(
    key: str,
    default: object,
    *,
    allowed: Sequence[object] | Callable[[object], bool] | None = None,
) -> object:
    """Before the widget ``key``: its value (kept from an earlier visit, else ``default``).

    Call it before creating the widget with ``key=key`` and no default value of its own.

    Parameters
    ----------
    key
        The widget's key.
    default
        The value on a first visit, and whenever the kept value is no longer allowed.
    allowed
        The options the value must be one of (for a list value: every item), or a test.

    Returns
    -------
    object
        The value the widget will show.
    """
    kept = st.session_state.setdefault(KEPT, {})
    seen = st.session_state.setdefault(SEEN, {})
    run = st.session_state.get(RUN, 0)
    value = st.session_state[key] if key in st.session_state else kept.get(key, default)
    if not _fits(value, allowed):
        value = default
    # A widget that comes back (not drawn in the previous run) is drawn afresh by the browser,
    # which would show its default while the server kept the old value: set it, so the browser
    # shows the value the page computes with.
    back = seen.get(key) not in (run, run - 1)
    if back or key not in st.session_state or st.session_state[key] is not value:
        st.session_state[key] = value
    kept[key] = value
    seen[key] = run
    return value


def begin_run() -> None:
    """Called by app.py at the start of every run (tells :func:`setting` which widgets come back)."""
    st.session_state[RUN] = st.session_state.get(RUN, 0) + 1


def _fits(value: object, allowed: Sequence[object] | Callable[[object], bool] | None) -> bool:
    if allowed is None:
        return True
    if callable(allowed):
        return bool(allowed(value))
    if isinstance(value, list | tuple):
        return all(v in allowed for v in value)
    return value in allowed


def kept(key: str, default: object = None) -> object:
    """A setting's last value (on this page or an earlier visit), without drawing its widget."""
    if key in st.session_state:
        return st.session_state[key]
    return st.session_state.get(KEPT, {}).get(key, default)


def keep_plan(plan: RecruitmentPlan) -> None:
    """Called by the Plan recruitment page: this session's plan (as changed on the map)."""
    st.session_state[PLAN] = plan


def plan(council: str) -> RecruitmentPlan | None:
    """This session's recruitment plan when it was made for ``council`` (another council's never)."""
    return plan_for(st.session_state.get(PLAN), council)


def keep_economy(params: EconomyParams, kinds: Sequence[str]) -> None:
    """Called by the Local economy page: the assumptions and kinds on screen."""
    st.session_state[ECONOMY] = (params, tuple(kinds))


def economy() -> tuple[EconomyParams | None, tuple[str, ...]]:
    """The economy assumptions and kinds last used on the Local economy page (``None``: defaults)."""
    got = st.session_state.get(ECONOMY)
    if isinstance(got, tuple) and len(got) == 2 and isinstance(got[0], EconomyParams):
        return got[0], got[1]
    return None, ("micro_enterprise",)


def story_state(council: str) -> tuple[object, object, object]:
    """This session's plan for ``council`` and its economy assumptions, read now.

    Downloads made when clicked run outside the script run, where the session's state cannot
    be read: pages read it here, during the run, and build the files from what they read.
    """
    params, kinds = economy()
    return plan(council), params, kinds


def story_parts(
    council: str, analysis: Analysis, state: tuple[object, object, object] | None = None
) -> dict[str, object]:
    """The deck's plan and economy parts from this session's own work (for :class:`ReportInputs`).

    The plan is the session's plan for this council (none otherwise); the economy figures use the
    assumptions and kinds last set on the Local economy page (the published defaults until then).
    ``state`` is :func:`story_state` read during the run (read now when not given).
    """
    made, params, kinds = state if state is not None else story_state(council)
    return {
        "plan": Plan.from_recruitment(made) if made is not None else None,
        "economy": economy_for(analysis, params, kinds),
    }


def story_key(council: str) -> str:
    """Changes whenever the session's plan or economy assumptions change (a made deck is then stale)."""
    params, kinds = economy()
    made = plan(council)
    mark = "no plan"
    if made is not None:
        text = f"{made.band}|{made.reach}|{made.people_per_recruit}|{made.covered_after}|{made.sites.to_csv()}"
        mark = hashlib.sha256(text.encode()).hexdigest()[:16]
    return f"{mark}|{params!r}|{kinds}"


def story_note(council: str) -> str:
    """Plain English: what of this session's work the slides and report carry, and what is a default."""
    params, _ = economy()
    made = plan(council)
    parts = [
        f"your recruitment plan ({made.n_sites} sites, {BAND_LABELS[made.band].lower()}, within {made.reach})"
        if made is not None
        else "no recruitment plan (make one on Plan recruitment to include it)",
        "your economy assumptions from Local economy"
        if params is not None
        else "the published default economy assumptions (set your own on Local economy)",
    ]
    return "Slides and report include " + " and ".join(parts) + "."
