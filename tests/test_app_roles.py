"""AppTest: sign-in, roles, and what a viewer's browser receives (nothing personal)."""

from pathlib import Path

import pytest
from pyproj import Transformer
from streamlit.testing.v1 import AppTest

from gapmap import auth
from gapmap.cli import main as cli_main
from gapmap.population import load_council
from gapmap.privacy import PRIVACY_MODES

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "app.py")
PASSWORD = "correct horse battery staple"
# Distinctive names on real Somerset postcodes: none of these may reach a viewer.
RECORDS = """id,name,kind,services,capacity,start_date,postcode
ZQX-001,Zebedee Quartermain Care,micro_enterprise,home care,3,01/01/2020,TA1 4LH
ZQX-002,Ottoline Vexley Help,micro_enterprise,home help,2,01/01/2020,TA24 8EA
ZQX-003,Barnaby Strudwick Support,micro_enterprise,home care,5,01/01/2020,BS28 4PD
ZQX-004,Philippa Gorringe Companions,micro_enterprise,socialising and fun,4,01/01/2020,BA21 5FJ
ZQX-005,Hollowmere Day Centre,day_centre,day activities,30,01/01/2005,TA7 0LU
"""
PERSONAL = ["Zebedee", "Quartermain", "Ottoline", "Vexley", "Strudwick", "Gorringe", "ZQX-00"]
PERSONAL += ["TA1 4LH", "TA24 8EA", "BS28 4PD", "BA21 5FJ"]


@pytest.fixture
def home(tmp_path, monkeypatch):
    """A GAPMAP_HOME with a registry of distinctive records and one user of each role."""
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    records = tmp_path / "providers.csv"
    records.write_text(RECORDS, encoding="utf-8")
    assert cli_main(["import", str(records), "--council", "E06000066", "--by", "Setup"]) == 0
    users = {}
    for name, role in (("vera", "viewer"), ("ed", "editor"), ("ada", "admin")):
        users = auth.add_user(users, name, role, PASSWORD)
    auth.write_users(auth.users_path(tmp_path), users)
    return tmp_path


def exact_coordinates() -> list[str]:
    """The micro-providers' true positions as the map JSON would write them (WGS84, 5 decimals)."""
    pts = load_council("E06000066").points.set_index("postcode")
    to_wgs = Transformer.from_crs("EPSG:27700", "EPSG:4326", always_xy=True)
    out = []
    for pc in ("TA1 4LH", "TA24 8EA", "BS28 4PD", "BA21 5FJ"):
        lon, lat = to_wgs.transform(pts.loc[pc].geometry.x, pts.loc[pc].geometry.y)
        out += [f"{lon:.5f}".rstrip("0"), f"{lat:.5f}".rstrip("0")]
    return out


def everything_sent(at: AppTest) -> str:
    """Text of every element the browser would receive: protos (map HTML included) and tables."""
    parts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        if type(node).__name__ == "Dataframe":
            parts.append(node.value.to_csv())
        children = getattr(node, "children", None)
        if isinstance(children, dict):
            for child in children.values():
                walk(child)

    walk(at._tree)
    return "\n".join(parts)


def signed_in(user: str | None, **session) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    if user:
        at.session_state["_gapmap_user"] = user
    for k, v in session.items():
        at.session_state[k] = v
    at.run()
    return at


def test_sign_in_form_when_users_exist(home):
    at = signed_in(None)
    assert not at.exception
    assert at.title[0].value == "gapmap"
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert not at.metric and not at.sidebar.radio  # nothing else is shown
    # (AppTest loses button clicks here: pages/_shared.ensure_router reruns every AppTest run. The form
    # was exercised in a browser; auth.verify is tested in tests/test_auth.py.)
    at = signed_in("nobody")  # a name that is not (or no longer) in the users file
    assert at.title[0].value == "gapmap" and len(at.text_input) == 2


def test_a_removed_user_is_signed_out(home):
    at = signed_in("vera")
    assert at.title[0].value == "Where care is short — Somerset"
    users = auth.remove_user(auth.read_users(auth.users_path(home)), "vera")
    auth.write_users(auth.users_path(home), users)
    at.run()
    assert at.title[0].value == "gapmap" and len(at.text_input) == 2


@pytest.mark.parametrize("mode", ["counts", "displaced", "exact"])
def test_viewer_gaps_page_sends_nothing_personal(home, mode):
    at = signed_in("vera", privacy=mode)  # "exact" is what a tampered session might claim
    assert not at.exception
    assert at.title[0].value == "Where care is short — Somerset"
    assert at.metric[0].value == "5"  # the records are in use (4 micro-providers and a day centre)
    radio = at.sidebar.radio(key="privacy")
    assert radio.options == [PRIVACY_MODES["counts"], PRIVACY_MODES["displaced"]]
    assert radio.value == ("displaced" if mode == "displaced" else "counts")
    sent = everything_sent(at)
    assert "gapmapAreaValues" in sent and "gapmapMarkers" in sent  # the live map's layers were checked
    for word in [*PERSONAL, str(home), "registry.gpkg", *exact_coordinates()]:
        assert word not in sent, word
    # The day centre is a public venue and stays drawn (without its name).
    assert "Day centre" in sent and "Hollowmere" not in sent


def test_viewer_on_a_council_without_records(home):
    at = signed_in("vera")
    at.sidebar.selectbox[0].set_value("E10000016").run()  # Kent
    assert not at.exception
    assert "No provider records for Kent" in at.info[0].value
    # Every page that needs records opens the same way, with no link to a page a viewer cannot open.
    for page in ("pages/plan.py", "pages/closures.py", "pages/economy.py"):
        at = signed_in("vera", council="E10000016")  # Kent (a new session each: AppTest's own quirk)
        at.switch_page(page).run()
        assert not at.exception, page
        assert at.title[0].value.endswith("— Kent"), page
        assert "No provider records for Kent" in at.info[0].value, page
        assert not [link for link in at.get("page_link") if "records" in link.proto.page], page


@pytest.mark.slow
def test_viewer_hex_counts_never_show_one_or_two(home):
    at = signed_in("vera")
    at.selectbox(key="gap_level").set_value("hex").run()
    assert not at.exception
    assert 500 not in at.select_slider(key="gap_hex").options  # no 500 m hexes outside exact mode
    sent = everything_sent(at)
    assert "fewer than 3" in sent
    assert "Micro-enterprises here" in sent


@pytest.mark.parametrize(
    "page", ["pages/population_map.py", "pages/sources.py", "pages/plan.py", "pages/closures.py", "pages/economy.py"]
)
def test_viewer_other_pages_send_nothing_personal(home, page):
    at = signed_in("vera")
    at.switch_page(page).run()
    assert not at.exception
    sent = everything_sent(at)
    for word in [*PERSONAL, str(home), "registry.gpkg", *exact_coordinates()]:
        assert word not in sent, word


def test_viewer_cannot_open_the_records_page(home):
    at = signed_in("vera")
    assert "Provider records" not in str(at._tree)  # not in the navigation
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page("pages/records.py")
    # Opened directly (a deep link on a fresh server), the page itself refuses.
    page = AppTest.from_file(str(ROOT / "pages" / "records.py"), default_timeout=120)
    page.session_state["_gapmap_user"] = "vera"
    page.run()
    assert "Your role does not give access" in page.error[0].value
    sent = everything_sent(page)
    for word in [*PERSONAL, str(home), "registry.gpkg"]:
        assert word not in sent, word


def test_editor_sees_records_exact_mode_and_the_audit_names_them(home):
    at = signed_in("ed")
    assert PRIVACY_MODES["exact"] in at.sidebar.radio(key="privacy").options
    at.switch_page("pages/records.py").run()
    assert not at.exception
    assert at.button(key="save_edits").label == "Save changes"
    assert "Zebedee Quartermain Care" in everything_sent(at)
    assert not [t for t in at.text_input if t.key == "save_by"]  # no free-text "who"


def test_local_mode_is_an_editor_but_starts_aggregated(tmp_path, monkeypatch):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))  # no users file, no secrets: local mode
    at = signed_in(None)
    assert not at.exception
    assert at.title[0].value == "Where care is short — Somerset"
    assert at.sidebar.radio(key="privacy").value == "counts"
    assert "Local mode: this computer only, no sign-in." in [c.value for c in at.sidebar.caption]


def test_refuses_an_open_address_without_sign_in(tmp_path, monkeypatch):
    from streamlit import config

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))  # no users, no secrets
    before = config.get_option("server.address")
    config.set_option("server.address", "0.0.0.0")
    try:
        at = signed_in(None)
    finally:
        config.set_option("server.address", before)
    assert not at.exception
    assert "will not start on address '0.0.0.0' without sign-in" in at.error[0].value
    assert not at.metric and not at.sidebar.radio
    assert "Somerset" not in everything_sent(at)


def test_streamlit_config_is_locked_down():
    import tomllib

    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["maxUploadSize"] == 20  # MB, as the README's provider file format says
    assert config["server"]["enableXsrfProtection"] is True and config["server"]["enableCORS"] is True
    assert config["client"]["showErrorDetails"] == "none"
    assert config["client"]["toolbarMode"] == "viewer"
    assert "Files up to 20 MB" in (ROOT / "README.md").read_text()


AUTH = {
    "redirect_uri": "http://localhost:8611/oauth2callback",
    "cookie_secret": "x" * 32,
    "client_id": "id",
    "client_secret": "secret",
    "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
}


def oidc(user: dict, gapmap: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.secrets["auth"] = AUTH
    if gapmap is not None:
        at.secrets["gapmap"] = gapmap
    at.user = user
    at.run()
    return at


def test_single_sign_on_page_when_auth_is_configured(home):
    at = oidc({"is_logged_in": False})  # a users file exists too: single sign-on wins
    assert not at.exception
    assert at.title[0].value == "gapmap"
    assert "organisation account" in at.markdown[0].value
    assert [b.label for b in at.button] == ["Sign in"] and not at.metric and not at.text_input


def test_single_sign_on_roles_come_from_secrets(home):
    roles = {"roles": {"Ed@Council.gov.uk": "editor", "vera@council.gov.uk": "viewer"}}
    at = oidc({"is_logged_in": True, "email": "ed@council.gov.uk"}, roles)
    assert not at.exception
    # The name is escaped as markdown (an address is not a link); it reads the same on screen.
    shown = [c.value.replace("\\", "").replace("\u200b", "") for c in at.sidebar.caption]
    assert "Signed in as **ed@council.gov.uk** (editor)" in shown
    assert PRIVACY_MODES["exact"] in at.sidebar.radio(key="privacy").options
    at = oidc({"is_logged_in": True, "email": "vera@council.gov.uk"}, roles)
    assert PRIVACY_MODES["exact"] not in at.sidebar.radio(key="privacy").options
    # Not listed: refused, unless a default role is set.
    at = oidc({"is_logged_in": True, "email": "stranger@example.com"}, roles)
    assert "has no role in gapmap" in at.error[0].value and not at.metric
    at = oidc({"is_logged_in": True, "email": "stranger@example.com"}, {**roles, "default_role": "viewer"})
    shown = [c.value.replace("\\", "").replace("\u200b", "") for c in at.sidebar.caption]
    assert "Signed in as **stranger@example.com** (viewer)" in shown


def test_viewer_economy_page_hides_small_areas(home):
    at = signed_in("vera")
    at.switch_page("pages/economy.py").run()
    assert not at.exception
    table = at.dataframe[0].value
    assert "providers" in table and not table.providers.isin(["1", "2", 1, 2]).any()
    small = table.providers.isin(["fewer than 3", "not shown"])
    assert small.any() and table.loc[small, "hours_per_week"].isna().all()
    sent = everything_sent(at)
    for word in [*PERSONAL, str(home), "registry.gpkg", *exact_coordinates()]:
        assert word not in sent, word


def test_users_page_for_admins_only(home):
    at = signed_in("ada")
    at.switch_page("pages/users.py").run()
    assert not at.exception
    assert at.title[0].value == "Users"
    assert at.dataframe[0].value.to_dict("records") == [
        {"user": "ada", "role": "admin"},
        {"user": "ed", "role": "editor"},
        {"user": "vera", "role": "viewer"},
    ]
    assert "ada" not in at.selectbox(key="remove_user").options  # an admin cannot remove themself here
    sent = everything_sent(at)
    assert "$argon2" not in sent  # no hashes reach the browser
    for user in ("ed", "vera"):
        at = signed_in(user)
        with pytest.raises(ValueError, match="Could not find a navigation page"):
            at.switch_page("pages/users.py")


@pytest.mark.slow  # about 15 s: a whole deck and report
def test_viewer_handouts_hold_nothing_personal(home):
    """A viewer's slides and report (built from the analysis of the exact records) name no one and
    give no home postcode: hand-outs draw day centres and venues only and count micro-providers."""
    import io

    from pptx import Presentation
    from pypdf import PdfReader

    at = signed_in("vera", privacy="displaced")
    at.switch_page("pages/plan.py").run()
    assert not at.exception
    at.button(key="make-pptx-plan").click().run()
    at.button(key="make-pdf-plan").click().run()
    assert not at.exception
    deck = Presentation(io.BytesIO(at.session_state["handout-pptx"][1]))
    deck_text = " ".join(
        " ".join(sh.text_frame.text for sh in s.shapes if sh.has_text_frame) + s.notes_slide.notes_text_frame.text
        for s in deck.slides
    )
    pdf_text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(at.session_state["handout-pdf"][1])).pages)
    assert "Recruitment plan" in deck_text and "Recruitment plan" in pdf_text
    for word in [*PERSONAL, "Hollowmere", str(home)]:
        assert word not in deck_text, word
        assert word not in pdf_text, word
