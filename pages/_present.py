"""Presentation mode and the view state in the URL, shared by the pages (one line each).

- ``?present=1`` (or the sidebar toggle) hides the sidebar and the controls, enlarges the type
  and lets the map fill the screen; each view shows its plain-English title and takeaway, the
  illustrative label and the data attribution, and next/previous buttons step through the story.
- The view (council, level, band, radius, kinds, date, view) is kept in ``st.query_params``,
  so a presenter can bookmark each slide.

Pages call :func:`restore` before their widgets, :func:`remember` after them, and
:func:`header` where the view starts. Only public Streamlit API is used.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import streamlit as st

from gapmap.deck import build_pdf, build_pptx, view_png
from gapmap.labels import GLOSSARY, ILLUSTRATIVE, SOURCES_LINE
from gapmap.story import STORY, STORY_TITLES, ReportInputs
from pages import _shared, _state
from pages._state import KEPT

PPTX_MIME = "application/vnd.openxmlformats-officedocument.presentationml.presentation"
MAP_VIEWS = {"population": "population", "gaps": "gaps", "priority": "gaps", "closures": "closures", "plan": "plan"}
"""The map picture of each view (the priority view's map is the gaps map)."""

ROOT = Path(__file__).resolve().parent.parent

STORY_PAGES = {
    "population": ("pages/population_map.py", None),
    "gaps": ("pages/gaps.py", None),
    "priority": ("pages/gaps.py", "priority"),
    "closures": ("pages/closures.py", None),
    "plan": ("pages/plan.py", None),
    "economy": ("pages/economy.py", None),
}
"""Where each story view lives: (page file, ``?view=`` value). Views whose page is not in this
checkout are skipped by next/previous."""

PRESENT_CSS = """
<style>
  [data-testid="stSidebar"], [data-testid="stSidebarCollapsedControl"], [data-testid="stHeader"],
  [data-testid="stToolbar"], [data-testid="stDecoration"],
  [data-testid="stSelectbox"], [data-testid="stMultiSelect"], [data-testid="stSlider"],
  [data-testid="stDateInput"], [data-testid="stNumberInput"], [data-testid="stCheckbox"],
  [data-testid="stExpander"], [data-testid="stFileUploader"], [data-testid="stDownloadButton"],
  [data-testid="stRadio"], [data-testid="stMetric"], [data-testid="stCaptionContainer"],
  .st-key-gapmap-controls { display: none !important; }
  /* The hand-outs stay: "Make" becomes its download in place, with its progress. */
  .st-key-gapmap-handouts [data-testid="stDownloadButton"], .st-key-gapmap-handouts [data-testid="stExpander"],
  .st-key-gapmap-handouts [data-testid="stCaptionContainer"] { display: block !important; }
  .st-key-gapmap-exit { position: fixed; top: 0.6rem; right: 1rem; z-index: 1000; width: auto !important; }
  .block-container, [data-testid="stMainBlockContainer"] { padding-top: 1rem !important;
    max-width: 100% !important; }
  html, body, [data-testid="stMarkdownContainer"] p { font-size: 22px !important; }
  h1 { font-size: 3rem !important; }
  .gapmap-takeaway { font-size: 1.9rem; line-height: 1.3; margin: 0.2rem 0 0.8rem; }
  .gapmap-foot { font-size: 0.85rem; color: #555; }
  .gapmap-label { display: inline-block; background: #b00020; color: #fff; font-weight: 700;
    padding: 2px 10px; border-radius: 3px; }
</style>
"""


def presenting() -> bool:
    """True in presentation mode (``?present=1`` or the sidebar toggle)."""
    if "present" not in st.session_state:
        st.session_state["present"] = st.query_params.get("present") == "1"
    return bool(st.session_state["present"])


def toggle() -> None:
    """The sidebar switch (in presentation mode the sidebar is hidden: :func:`exit_control` leaves it)."""
    presenting()
    st.toggle(
        "Presentation mode",
        key="present",
        help="Full screen for a workshop: controls hidden, large type, a title and one-sentence takeaway on "
        "each view, next/previous through the story. Add ?present=1 to a link to open it this way.",
    )
    if st.session_state["present"]:
        st.query_params["present"] = "1"
        st.html(PRESENT_CSS)
    else:
        st.query_params.pop("present", None)


def _leave() -> None:
    st.session_state["present"] = False


def exit_control() -> None:
    """In presentation mode: a visible "Exit presentation" button at the top right of every view.

    Called by app.py before the page, after the sidebar's switch (whose value it turns off).
    """
    if not presenting():
        return
    with st.container(key="gapmap-exit"):
        st.button("Exit presentation", icon=":material/close_fullscreen:", on_click=_leave, key="exit-present")


def _parse(name: str, raw: list[str], options: object) -> object | None:
    try:
        if name == "kinds":
            kinds = [k for part in raw for k in part.split(",") if k]
            return kinds if kinds and all(k in options for k in kinds) else None
        value = raw[-1]
        if name == "date":
            return date.fromisoformat(value)
        if isinstance(options, tuple) and len(options) == 2 and all(isinstance(o, float) for o in options):
            x = float(value)
            return x if options[0] <= x <= options[1] else None
        return value if value in options else None
    except ValueError:
        return None


def restore(widgets: dict[str, tuple[str, object]]) -> None:
    """Before the widgets: take their values from the URL on a fresh visit (bookmarks).

    Parameters
    ----------
    widgets
        ``{url name: (widget key, allowed values)}``; allowed values are a sequence of
        options, a ``(low, high)`` pair of floats for a number, or ``None`` for a date.
        Values that are not allowed are ignored, never an error.
    """
    kept = st.session_state.get(KEPT, {})
    for name, (key, options) in widgets.items():
        # The session's own setting (this visit or an earlier one) wins over a link's.
        if key in st.session_state or key in kept or name not in st.query_params:
            continue
        value = _parse(name, st.query_params.get_all(name), options)
        if value is not None:
            st.session_state[key] = value


VIEW_PARAMS = ("level", "band", "radius", "kinds", "date", "econ_kinds")
"""The view-state names a page may write into the URL."""


def remember(**values: object) -> None:
    """After the widgets: write the view state into the URL (lists comma-joined, dates ISO).

    A view name this page does not show is taken out, so the URL says what is on screen.
    """
    for name in VIEW_PARAMS:
        if name not in values and name in st.query_params:
            del st.query_params[name]
    for name, value in values.items():
        if isinstance(value, list | tuple):
            text = ",".join(map(str, value))
        elif isinstance(value, date):
            text = value.isoformat()
        elif isinstance(value, float):
            text = f"{value:g}"
        else:
            text = str(value)
        if st.query_params.get(name) != text:
            st.query_params[name] = text


def current_view(default: str) -> str:
    """Which story view this page shows (``?view=``), e.g. ``"priority"`` on the gaps page."""
    view = st.query_params.get("view", default)
    return view if view in STORY else default


def header(title: str, takeaway: str, *, illustrative: bool = False) -> None:
    """The view's plain-English title and takeaway: large in presentation mode, a line otherwise."""
    if presenting():
        st.markdown(f"## {_plain(title)}")
        label = f'<span class="gapmap-label">{ILLUSTRATIVE}</span> ' if illustrative else ""
        st.html(f'<div class="gapmap-takeaway">{label}{_escape(takeaway)}</div>')
    else:
        st.markdown(f"**{_plain(takeaway)}**")  # names in it (own areas) must not become markdown


def map_height(normal: int = 620) -> int:
    """Map height: the whole screen in presentation mode."""
    return 780 if presenting() else normal


def footer(view: str, *, illustrative: bool = False) -> None:
    """In presentation mode: the attribution, the illustrative label and next/previous."""
    if not presenting():
        return
    steps = [k for k in STORY if (ROOT / STORY_PAGES[k][0]).exists()]
    here = steps.index(view) if view in steps else 0
    left, right = st.columns(2)  # wide enough for the longest title ("Closures: before and after")
    if here > 0:
        _step_button(left, steps[here - 1], "← " + STORY_TITLES[steps[here - 1]])
    if here < len(steps) - 1:
        with right, st.container(horizontal=True, horizontal_alignment="right"):
            _step_button(st, steps[here + 1], STORY_TITLES[steps[here + 1]] + " →")
    foot = (f"{ILLUSTRATIVE}. " if illustrative else "") + SOURCES_LINE
    st.html(f'<div class="gapmap-foot">{_escape(foot)}</div>')


def _step_button(col: object, view: str, label: str) -> None:
    page, view_param = STORY_PAGES[view]
    params = {k: v for k, v in st.query_params.to_dict().items() if k != "view"}
    if view_param:
        params["view"] = view_param
    col.page_link(page, label=label, query_params=params)


def glossary() -> None:
    """The method terms in plain English (an expander)."""
    with st.expander("Words used here"):
        st.markdown("\n".join(f"- **{term}**: {text}" for term, text in GLOSSARY.items()))


def handouts(
    build_inputs: Callable[[], ReportInputs] | None,
    *,
    stem: str,
    view: str,
    state: str,
    png: Callable[[], bytes] | None = None,
) -> None:
    """Slides, PDF and this view's picture as PNG, each made only when asked for.

    The PNG is built when its download button is clicked. The deck and the PDF take several
    seconds, so a first click makes them with a progress bar and a second downloads them; the
    made file is kept for the same view and view state (``state``) only, so a file made for
    other settings (or on another page) is never offered.

    Parameters
    ----------
    build_inputs
        Builds the deck's inputs (called only on a click); ``None`` when the page has no
        provider records to build a deck from (only the PNG is offered).
    stem
        File name stem.
    view
        The story view (:data:`gapmap.story.STORY`).
    state
        Changes whenever anything that shapes the files changes.
    png
        This view's picture; default: the view's map in the deck (:data:`MAP_VIEWS`).
    """
    box = st.container(key="gapmap-handouts")
    c1, c2, c3 = box.columns(3)
    if png is None and view in MAP_VIEWS and build_inputs is not None:
        make_inputs = build_inputs

        def png() -> bytes:
            return view_png(make_inputs(), MAP_VIEWS[view])

    if png is not None:
        c3.download_button(
            "Download map (PNG)",
            data=png,
            file_name=f"{stem}-{view}.png",
            mime="image/png",
            key=f"png-{view}",
            on_click="ignore",
            help="A print-quality picture (2,000 px wide) with legend, scale, north arrow and sources.",
        )
    if build_inputs is None:
        c1.caption("Slides and report need this council's provider records (imported by an editor).")
        return
    council = str(st.session_state.get("council", _shared.DEFAULT_COUNCIL))  # as the pages read it
    state = f"{view}|{state}|{_state.story_key(council)}"
    box.caption(_state.story_note(council))
    for col, fmt, label, mime, build in (
        (c1, "pptx", "slides (PowerPoint)", PPTX_MIME, build_pptx),
        (c2, "pdf", "report (PDF)", "application/pdf", build_pdf),
    ):
        made = st.session_state.get(f"handout-{fmt}")
        if made and made[0] == state:
            col.download_button(
                f"Download {label}",
                data=made[1],
                file_name=f"{stem}.{fmt}",
                mime=mime,
                key=f"dl-{fmt}-{view}",
                on_click="ignore",
                type="primary",
            )
        elif col.button(f"Make {label}", key=f"make-{fmt}-{view}", help="Takes about 10 seconds; works offline."):
            with col.status(f"Making the {label}…", expanded=True) as status:
                bar = st.progress(0.0)
                try:
                    payload = build(
                        build_inputs(), progress=lambda f, text, bar=bar: bar.progress(min(f, 1.0), text=text)
                    )
                except (OSError, MemoryError) as exc:  # a full disk, no memory left: say so, keep nothing
                    status.update(label=f"The {label} could not be made", state="error")
                    st.session_state.pop(f"handout-{fmt}", None)
                    col.error(_out_of_room(label, exc), icon=":material/error:")
                    return
                status.update(label=f"The {label} is ready", state="complete")
            st.session_state[f"handout-{fmt}"] = (state, payload)
            st.rerun()


def _out_of_room(label: str, exc: BaseException) -> str:
    """Plain words for a hand-out that failed for lack of disk space or memory on the server."""
    import errno
    import logging

    logging.getLogger("gapmap").warning("hand-out failed: %r", exc)
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT, errno.EFBIG):
        why = "the server's disk is full"
    elif isinstance(exc, MemoryError):
        why = "the server ran out of memory"
    else:
        why = "the server could not write it"
    return (
        f"The {label} could not be made: {why}. Nothing half-made was kept. Try again later, or tell "
        "whoever runs the gapmap server."
    )


def _escape(text: str) -> str:
    return html.escape(text)


def _plain(text: str) -> str:
    from pages._shared import plain  # late: _shared is the app's, _present is imported beside it

    return plain(text)


__all__: Sequence[str] = (
    "footer",
    "exit_control",
    "glossary",
    "header",
    "handouts",
    "map_height",
    "presenting",
    "remember",
    "restore",
    "toggle",
)
