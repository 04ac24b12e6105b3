"""gapmap: Streamlit entry point (router, sign-in and shared sidebar)."""

import base64
from pathlib import Path

import streamlit as st

from gapmap import auth
from pages import _a11y, _present, _shared, _state

# The icon travels inside the page settings: as a file it would be a download (``/media/``),
# which the server's gate holds back until someone has signed in, so the sign-in page had none.
_ICON_PNG = (Path(__file__).parent / "static" / "favicon.png").read_bytes()
_ICON = "data:image/png;base64," + base64.b64encode(_ICON_PNG).decode()
st.set_page_config(page_title="gapmap", page_icon=_ICON, layout="wide")
_a11y.style()  # target sizes and focus rings (WCAG 2.2 AA), on every page including sign-in
first_run = _shared.mark_router()
_state.begin_run()
who = _shared.sign_in()  # stops on the sign-in page; refuses other addresses when no sign-in is configured

pages = [
    st.Page("pages/gaps.py", title="Where care is short", icon=":material/travel_explore:", default=True),
    st.Page("pages/plan.py", title="Plan recruitment", icon=":material/person_add:"),
    st.Page("pages/closures.py", title="Closures and change", icon=":material/history:"),
    st.Page("pages/economy.py", title="Local economy", icon=":material/payments:"),
    st.Page("pages/population_map.py", title="Older population", icon=":material/groups:"),
]
if auth.can(who.role, "import"):
    pages.append(st.Page("pages/records.py", title="Provider records", icon=":material/upload_file:"))
if auth.can(who.role, "users") and who.method != "local":
    pages.append(st.Page("pages/users.py", title="Users", icon=":material/manage_accounts:"))
pages.append(st.Page("pages/sources.py", title="Data and sources", icon=":material/info:"))
pages.append(st.Page("pages/accessibility.py", title="Accessibility", icon=":material/accessibility:"))
nav = st.navigation(pages)
# A fresh server starts in legacy pages/ mode, which st.navigation has just ended: rerun, once.
if first_run and not _shared.navigation_was_set():
    st.rerun()
with st.sidebar:
    st.markdown("### gapmap")
    st.caption("Where care and support for older people is under-provided, street by street.")
    _shared.signed_in_box(who)
    _shared.council_picker()
    _shared.privacy_picker()
    _present.toggle()
_present.exit_control()  # presentation mode hides the sidebar: the way out is on the page
try:
    nav.run()
finally:  # the marker is for this run only (a run without app.py must not find it)
    _shared.unmark_router()
with st.sidebar:
    _shared.show_attribution()
_shared.freeze_long_lived()  # once per server: libraries and the first council, out of the GC's way
