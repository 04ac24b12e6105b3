"""Provider records: import, check, keep, edit and export the council's own lists."""

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from gapmap import io, registry
from gapmap.cells import blank, parse_date
from gapmap.config import PACKAGE_ROOT
from gapmap.errors import GapmapError, RegistryError
from gapmap.export import neutralise_formulas, to_csv_bytes, to_geojson_bytes
from gapmap.labels import column_header, moment, readable_table
from gapmap.maps import outline_layer, provider_layers
from gapmap.privacy import for_display
from gapmap.records import RECORD_KINDS, check_table, postcodes_for
from gapmap.schema import FIELDS, KIND_LABELS, KINDS, map_columns
from pages import _shared
from pages._live_map import live_map

_shared.ensure_router()
who = _shared.require("import")  # editors and admins only: this page holds names and addresses

TEMPLATE = PACKAGE_ROOT / "data" / "templates" / "providers_template.csv"
KIND_OF_FILE = {
    "providers": "Providers (micro-enterprises and others)",
    "day_centres": "Day centres",
    "closures": "Closures (services with the date they closed)",
}

code, data, _ = _shared.page_header("Provider records")
council = data.council
reg = _shared.registry_location()
seen_version = _shared.registry_version()  # the editor's changes are refused if someone saves after this
try:
    records, log = _shared.registry_contents(reg.location, seen_version)
except RegistryError as exc:  # the registry's database is down: say so; the next click tries again
    _shared.registry_unavailable(exc)
mine = registry.council_records(records, code)

if len(mine) and mine.illustrative.any():
    st.warning(
        f"**{_shared.ILLUSTRATIVE}.** The registry holds the generated sample for {council.name}. "
        "Import your own list below to replace it.",
        icon=":material/science:",
    )
elif len(mine):
    last = log[log.council_code == code].tail(1)
    when = (
        f", last import {moment(last.imported_at.iloc[0])} (UTC) by {_shared.plain(last.imported_by.iloc[0])}"
        if len(last)
        else ""
    )
    st.success(f"Using **your council's records**: {len(mine)} providers{when}.", icon=":material/verified:")
elif code == _shared.SAMPLE_COUNCIL:
    st.warning(
        f"**{_shared.ILLUSTRATIVE}.** The dashboard is showing a generated sample so you can see it work. "
        "Import your own list below: one click replaces the sample with your records.",
        icon=":material/science:",
    )
else:
    st.info(f"No records for {council.name} yet. Import your list of micro-providers, day centres and closures.")

# ---------------------------------------------------------------------------------------------
st.header("Import a file", divider="gray")
st.markdown(
    "CSV (any Excel export), Excel **.xlsx**, GeoJSON, GeoPackage or a zipped shapefile. Each row needs a "
    "location: **postcode**, or **lat**/**lon**, or **easting**/**northing**. Postcodes are looked up offline."
)
st.download_button(
    "Download the template (CSV)",
    TEMPLATE.read_bytes(),
    "gapmap-providers-template.csv",
    "text/csv",
    help="The columns gapmap reads, with two example rows to delete.",
)
file_kind = st.radio(
    "This file lists", list(RECORD_KINDS), format_func=KIND_OF_FILE.get, horizontal=True, key="file_kind"
)
upload = st.file_uploader(
    "Records file", type=["csv", "txt", "xlsx", "geojson", "json", "gpkg", "zip"], key="records_upload"
)

SAVED = "records_saved"  # session state: (council, file digest, providers saved)
saved = st.session_state.get(SAVED)
if upload is not None and saved and saved[:2] == (code, _shared.digest(upload.getvalue())):
    # This file has been saved: a plain saved state, no question (edits below are saved on their own).
    st.success(
        f"Saved: {council.name} now has {saved[2]:,} providers from **{_shared.plain(upload.name)}**. "
        "Every page now uses them. To import another file, upload it above.",
        icon=":material/check_circle:",
    )
    st.button("Import this file again", key="import_again", on_click=lambda: st.session_state.pop(SAVED, None))
    upload = None
elif upload is not None:
    payload = upload.getvalue()
    shown_name = _shared.plain(upload.name)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / (Path(upload.name).name or "upload")
        path.write_bytes(payload)
        try:
            layers = io.record_layers(path)
            sheet = None
            if len(layers) > 1:  # never read one sheet and drop the others unseen
                sheet = st.selectbox(
                    f"{shown_name} has {len(layers)} sheets or layers with rows: which one lists the records?",
                    layers,
                    index=None,
                    placeholder="Choose one",
                    key=f"sheet_{_shared.digest(payload)}",
                )
                if sheet is None:
                    st.stop()
            table = io.read_record_table(path, sheet=sheet)
        except GapmapError as exc:
            st.error(f"**{shown_name}** cannot be read: {_shared.plain(exc)}")
            st.stop()
    guessed = map_columns([str(c) for c in table.columns])
    columns = ["(none)", *[str(c) for c in table.columns]]
    with st.expander("Column matches — check these", expanded=not {"postcode", "lat", "easting"} & set(guessed)):
        st.caption("gapmap guessed which of your columns is which. Change any that are wrong.")
        cols = st.columns(4)
        overrides = {}
        for i, f in enumerate(FIELDS):
            pick = cols[i % 4].selectbox(
                f,
                columns,
                index=columns.index(guessed[f]) if f in guessed else 0,
                key=f"map_{f}_{_shared.digest(payload)}",
            )
            overrides[f] = "" if pick == "(none)" else pick
    with st.status(f"Checking {len(table):,} rows…") as checking:
        try:
            result = check_table(table, outline=data.outline(), overrides=overrides, kind=file_kind)
        except GapmapError as exc:
            checking.update(label="The file cannot be used", state="error")
            st.error(f"**{shown_name}**: {_shared.plain(exc)}")
            st.stop()
        checking.update(label=f"Checked {len(table):,} rows", state="complete")
    if result.illustrative:
        st.warning(
            f"**{shown_name}** is an {_shared.ILLUSTRATIVE.lower()}. If you save it, every view will "
            "keep labelling it as such.",
            icon=":material/science:",
        )
    a, r, w = len(result.accepted), len(result.rejected), len(result.warnings)
    c1, c2, c3 = st.columns(3)
    c1.metric("Rows accepted", a)
    c2.metric("Rows rejected", r)
    c3.metric("Warnings", w)
    if r:
        st.error(
            f"{r} row{'s' if r > 1 else ''} could not be used. Fix them in your file and upload it again; "
            "the accepted rows below are not affected."
        )
        st.dataframe(
            pd.DataFrame([p.__dict__ for p in result.rejected]),
            hide_index=True,
            width="stretch",
            column_config={"row": "Row (as in Excel)", "field": "Column", "problem": "Problem", "fix": "Fix"},
        )
        st.download_button(
            "Download the rejected rows with reasons (CSV)",
            neutralise_formulas(result.rejected_rows).to_csv(index=False).encode("utf-8-sig"),
            f"{Path(upload.name).stem}-rejected.csv",
            "text/csv",
        )
    if w:
        with st.expander(f"{w} warning{'s' if w > 1 else ''}"):
            st.markdown("\n".join(f"- {_shared.plain(x)}" for x in result.warnings))
    if a:
        accepted = result.accepted
        privacy = _shared.privacy_setting()
        preview = [
            outline_layer(data.outline(), label=f"{council.name} boundary"),
            *provider_layers(
                for_display(accepted, privacy, secret=_shared.install_secret()),
                show_names=privacy == "exact",
                label="Accepted rows",
            ),
        ]
        kinds_here = ", ".join(KIND_LABELS[k].lower() for k in KINDS if (accepted.kind == k).any())
        st.caption(
            f"Accepted rows on the map ({kinds_here}). "
            + ("Micro-providers moved or hidden for privacy." if privacy != "exact" else "")
        )
        live_map(_shared.council_bounds(code), preview, key="preview_map", height=420)
        s1, s2 = st.columns([2.2, 1])
        mode = s1.radio(
            "When saving",
            ["replace", "update"],
            horizontal=True,
            key="save_mode",
            format_func={"replace": f"Replace {council.name}'s records", "update": "Add new and update by id"}.get,
        )
        by = who.user  # the audit trail records the signed-in user, not a free-text name
        s1.caption(f"Saved as **{_shared.plain(by)}** in the import log.")
        confirmed = True
        if mode == "replace" and (len(mine) or r > a):
            # A replace throws the saved records away: say what goes, and ask.
            lines = [f"This replaces the **{len(mine)}** saved records of {council.name} with these **{a}** rows."]
            if r > a:
                lines.append(f"**{r} rows of this file were rejected, more than were accepted**: is it the right file?")
            lines.append("The records as they are now are kept: you can restore them below under *Earlier versions*.")
            st.warning(" ".join(lines), icon=":material/warning:")
            confirmed = st.checkbox(f"Yes, replace {council.name}'s records", key=f"confirm_replace_{seen_version}")
        if s2.button(f"Save {a} rows to the registry", type="primary", key="save_import", disabled=not confirmed):
            try:
                n = registry.import_result(
                    reg,
                    result,
                    council_code=code,
                    source_file=upload.name,
                    by=by,
                    mode=mode,
                    force=confirmed,
                )
            except GapmapError as exc:
                st.error(_shared.plain(exc))
                st.stop()
            st.toast(f"Saved: {council.name} now has {n} providers.")
            st.session_state[SAVED] = (code, _shared.digest(payload), n)
            st.rerun()


def earlier_versions() -> None:
    """Kept versions of the registry, and restoring this council's records from one (asks first)."""
    with st.expander("Earlier versions (undo)"):
        kept = registry.versions(reg)
        if not kept:
            st.write("No earlier versions yet: one is kept every time the registry changes.")
        else:
            st.caption(
                f"Each line is the registry as it was before a change. Restoring puts back {council.name}'s records "
                "from that moment (other councils are not touched); the records as they are now are kept in turn."
            )
            labels = {
                v.id: f"{v.saved_at:%d/%m/%Y %H:%M} — before “{v.note}” by {v.by}: "
                f"{v.counts.get(code, 0)} records for {council.name}"
                for v in kept
            }
            pick = st.selectbox("Version", list(labels), format_func=labels.get, key=f"restore_pick_{seen_version}")
            sure = st.checkbox(
                f"Yes, put back {council.name}'s records from this version", key=f"restore_sure_{seen_version}"
            )
            if st.button("Restore", disabled=not sure, key="restore_go"):
                try:
                    registry.restore(reg, pick, by=who.user, council_code=code)
                except GapmapError as exc:
                    st.error(_shared.plain(exc))
                    st.stop()
                st.toast("Restored.")
                st.rerun()


# ---------------------------------------------------------------------------------------------
st.header("Records in the registry", divider="gray")
st.caption(
    f"Saved in {_shared.plain(reg.location)} (set GAPMAP_REGISTRY to a file or a postgresql:// URL to keep it "
    "elsewhere). Every change keeps the previous version."
)
if not len(mine):
    st.write("Nothing saved for this council yet.")
    if code == _shared.SAMPLE_COUNCIL:
        sample = _shared.sample_providers(code)
        st.caption(f"{_shared.ILLUSTRATIVE} — shown until you import your own:")
        st.dataframe(
            readable_table(
                sample, ["id", "name", "kind", "services", "capacity", "start_date", "end_date", "postcode"]
            ),
            hide_index=True,
            width="stretch",
            height=240,
        )
    earlier_versions()  # a replace or restore that emptied this council can be undone from here
    st.stop()

editable = registry.editable_table(records, code)
# Dates as the user types them (DD/MM/YYYY, blank when there is none, never "None"); read back below.
for _c in ("start_date", "end_date"):
    editable[_c] = [d.strftime("%d/%m/%Y") if pd.notna(d) else "" for d in editable[_c]]


def dates_back(table: pd.DataFrame) -> tuple[pd.DataFrame, list[str]]:
    """The editor's date text as dates (blank: none), and a line for each cell that is not a date."""
    out, problems = table.copy(), []
    for c in ("start_date", "end_date"):
        values = []
        for i, v in enumerate(out[c], start=1):
            if blank(v):
                values.append(None)
                continue
            try:
                values.append(parse_date(v))
            except ValueError:
                problems.append(f"Row {i}: {column_header(c).lower()} “{_shared.plain(v)}” is not a date (DD/MM/YYYY).")
                values.append(None)
        out[c] = pd.Series(values, index=out.index, dtype=object)
    return out, problems


# The version the editor was opened on: saving is refused if someone else saved after it.
round_key = f"editor_round_{code}"
editor_key = f"editor_{code}_{st.session_state.get(round_key, 0)}"
base = st.session_state.setdefault(f"{editor_key}_base", seen_version)


def fresh_editor() -> None:
    """Start the editor again on the records as they are now."""
    st.session_state[round_key] = st.session_state.get(round_key, 0) + 1


st.markdown(
    "Edit cells, add rows at the bottom, or **close a provider by giving it an end date**. "
    "Changes are checked like an import before they are saved."
)
edited = st.data_editor(
    editable,
    num_rows="dynamic",
    hide_index=True,
    width="stretch",
    key=editor_key,
    column_config={  # readable headings; the columns keep their codes for saving
        **{c: column_header(c) for c in editable.columns},
        "kind": st.column_config.SelectboxColumn(
            column_header("kind"), options=list(KINDS), format_func=KIND_LABELS.get, required=True
        ),
        "capacity": st.column_config.NumberColumn(column_header("capacity"), min_value=0, step=1),
        "start_date": st.column_config.TextColumn(column_header("start_date"), help="DD/MM/YYYY"),
        "end_date": st.column_config.TextColumn(
            column_header("end_date"), help="Closure date, DD/MM/YYYY; empty = open"
        ),
        # Whole metres on screen (the stored value is kept unless you change it).
        "easting": st.column_config.NumberColumn(column_header("easting"), format="%.0f"),
        "northing": st.column_config.NumberColumn(column_header("northing"), format="%.0f"),
    },
)
e1, e2 = st.columns([1, 3])
if e1.button("Save changes", type="primary", key="save_edits"):
    checks = []
    edited, date_problems = dates_back(edited)
    if date_problems:
        st.error("Nothing was saved. " + " ".join(date_problems))
        st.stop()

    def apply(current, current_log):
        new_records, check = registry.apply_edits(
            current,
            edited,
            council_code=code,
            postcodes=postcodes_for(edited, "postcode"),
            outline=data.outline(),
            by=who.user,
        )
        checks.append(check)
        return new_records, current_log

    try:
        # expect=: if someone saved after this page was drawn, refuse rather than overwrite their work.
        registry.update(reg, apply, by=who.user, note=f"edit {code}", expect=base)
    except GapmapError as exc:
        st.error(_shared.plain(exc))
        st.button("Reload the records (your unsaved edits are dropped)", on_click=fresh_editor, key="editor_reload")
        st.stop()
    if checks and checks[0].rejected:
        st.error("Nothing was saved. Fix these rows first:")
        st.dataframe(pd.DataFrame([p.__dict__ for p in checks[0].rejected]), hide_index=True, width="stretch")
    else:
        fresh_editor()
        st.toast("Changes saved.")
        st.rerun()

st.subheader("Export")
x1, x2, x3 = st.columns(3)
export = mine.drop(columns=["council_code"])
x1.download_button("CSV", to_csv_bytes(export), f"gapmap-records-{code}.csv", "text/csv")
x2.download_button("GeoJSON", to_geojson_bytes(export), f"gapmap-records-{code}.geojson", "application/geo+json")
with tempfile.TemporaryDirectory() as tmp:
    gpkg = Path(tmp) / "records.gpkg"
    export.to_file(gpkg, layer="providers", engine="pyogrio")
    x3.download_button("GeoPackage", gpkg.read_bytes(), f"gapmap-records-{code}.gpkg", "application/geopackage+sqlite3")
with st.expander("Import history"):
    st.dataframe(
        readable_table(log[log.council_code == code].drop(columns="council_code")), hide_index=True, width="stretch"
    )

earlier_versions()
