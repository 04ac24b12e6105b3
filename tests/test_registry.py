"""The registry: persistence, atomic saves, versions, imports and edits (both backends)."""

import dataclasses
from datetime import datetime

import pandas as pd
import pytest
import shapely

from gapmap import registry, registry_gpkg
from gapmap.records import load_providers, postcodes_for
from tests.test_records import MESSY

SOMERSET_BOX = shapely.box(270_000, 100_000, 380_000, 160_000)
T1, T2 = datetime(2026, 1, 5, 9, 0), datetime(2026, 2, 1, 12, 0)


@pytest.fixture
def reg(any_registry):
    return any_registry


@pytest.fixture
def imported(reg):
    result = load_providers(MESSY, outline=SOMERSET_BOX)
    records, log = registry.load(reg)
    records = registry.merge_import(
        records, result, council_code="E06000066", source_file="messy.csv", by="Ann", now=T1
    )
    log = registry.log_import(
        log, council_code="E06000066", source_file="messy.csv", by="Ann", mode="replace", result=result, now=T1
    )
    registry.save(reg, records, log)
    return registry.load(reg)


def test_empty_registry_until_first_import(reg):
    records, log = registry.load(reg)
    assert len(records) == 0 and len(log) == 0 and registry.versions(reg) == []
    assert reg.token() == "none"


def test_the_file_and_its_folders_are_private(tmp_path):
    reg = registry.Registry(tmp_path / "home" / "registry.gpkg")
    registry.import_result(
        reg, load_providers(MESSY), council_code="E06000066", source_file="m.csv", by="Ann", force=True
    )
    registry.import_result(
        reg, load_providers(MESSY), council_code="E06000066", source_file="m.csv", by="Ann", force=True
    )
    mode = lambda p: p.stat().st_mode & 0o777  # noqa: E731
    assert mode(reg.path) == 0o600 and mode(reg.path.parent) == 0o700
    assert mode(reg.versions_dir) == 0o700
    assert {mode(p) for p in reg.versions_dir.iterdir()} == {0o600}
    assert mode(reg.path.with_name("registry.gpkg.lock")) == 0o600


def test_round_trip_keeps_types_and_audit(imported):
    records, log = imported
    assert sorted(records.id) == ["M1", "M6", "M7", "M9"]
    assert records.crs.to_epsg() == 27700
    assert records.capacity.dtype == "float64" and records.outside_council.dtype == bool
    m9 = records.set_index("id").loc["M9"]
    assert m9.capacity_assumed and m9.start_date == pd.Timestamp("2017-08-15")
    assert set(records.imported_by) == {"Ann"} and (records.imported_at == pd.Timestamp(T1)).all()
    assert records.set_index("id").loc["M7"].outside_council  # Bristol
    assert log.to_dict("records")[0]["accepted"] == 4


def test_default_location_follows_gapmap_home(monkeypatch, tmp_path):
    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path / "home"))
    assert registry.Registry.default().path == tmp_path / "home" / "registry.gpkg"


def test_a_crash_mid_save_leaves_the_previous_registry_intact(tmp_path, monkeypatch):
    reg = registry.Registry(tmp_path / "data" / "registry.gpkg")
    registry.import_result(
        reg, load_providers(MESSY), council_code="E06000066", source_file="m.csv", by="Ann", force=True
    )
    before = reg.path.read_bytes()
    records, log = registry.load(reg)

    def crash(path, records_, log_):
        records_.iloc[:1].to_file(path, layer="providers", engine="pyogrio")  # half written…
        raise OSError("disk full")  # …then the machine gives up

    monkeypatch.setattr(registry_gpkg, "_write_layers", crash)
    with pytest.raises(registry.RegistryError, match="previous copy is unchanged"):
        registry.save(reg, records.iloc[:0], log)
    assert reg.path.read_bytes() == before
    # No temporary copy left behind, and no version recorded for a change that did not happen.
    assert sorted(p.name for p in reg.path.parent.iterdir()) == ["registry.gpkg", "registry.gpkg.lock", "versions"]
    assert [v.note for v in registry.versions(reg)] == ["import replace E06000066 (m.csv)"]  # only the first
    assert len(registry.load(reg)[0]) == 4


def test_a_failed_write_changes_nothing_in_postgres(tmp_path, monkeypatch):
    from gapmap import registry_postgres
    from tests.registry_backends import make_registry

    with make_registry("postgres", tmp_path) as reg:
        registry.import_result(
            reg, load_providers(MESSY), council_code="E06000066", source_file="m.csv", by="Ann", force=True
        )
        real = registry_postgres._write

        def crash(conn, records_, log_):
            real(conn, records_.iloc[:1], log_)  # half written inside the transaction…
            raise OSError("connection lost")

        monkeypatch.setattr(registry_postgres, "_write", crash)
        with pytest.raises(registry.RegistryError, match="previous copy is unchanged"):
            registry.save(reg, *registry.load(reg))
        assert len(registry.load(reg)[0]) == 4 and len(registry.versions(reg)) == 1


def test_every_change_keeps_the_previous_version_and_restore_undoes_it(reg, tmp_path):
    a = load_providers(MESSY, outline=SOMERSET_BOX)
    f = tmp_path / "two.csv"
    f.write_text("id,name,postcode\nN1,New one,TA1 4LH\nN2,Other,TA1 1AA\n")
    b = load_providers(f)
    registry.import_result(reg, a, council_code="E06000066", source_file="messy.csv", by="Ann", now=T1, force=True)
    registry.import_result(reg, b, council_code="E06000066", source_file="two.csv", by="Bo", now=T2)
    assert sorted(registry.load(reg)[0].id) == ["N1", "N2"]
    kept = registry.versions(reg)
    assert [v.note for v in kept] == ["import replace E06000066 (two.csv)", "import replace E06000066 (messy.csv)"]
    assert kept[0].by == "Bo" and kept[0].counts == {"E06000066": 4} and kept[1].counts == {}
    registry.restore(reg, kept[0].id, by="Cat")  # undo Bo's replace
    records, log = registry.load(reg)
    assert sorted(records.id) == ["M1", "M6", "M7", "M9"] and log.source_file.tolist() == ["messy.csv"]
    assert set(records.imported_by) == {"Ann"} and records.crs.to_epsg() == 27700
    undo = registry.versions(reg)[0]  # the restore itself can be undone
    assert undo.note == f"restore {kept[0].id}" and undo.by == "Cat" and undo.counts == {"E06000066": 2}
    registry.restore(reg, undo.id)
    assert sorted(registry.load(reg)[0].id) == ["N1", "N2"]
    with pytest.raises(registry.RegistryError, match="no kept version"):
        registry.restore(reg, "nonsense")


def test_restoring_one_council_leaves_the_others_alone(reg, tmp_path):
    f = tmp_path / "one.csv"
    f.write_text("id,name,postcode\nN1,New one,TA1 4LH\n")
    a, b = load_providers(MESSY), load_providers(f)
    registry.import_result(reg, a, council_code="E06000066", source_file="messy.csv", by="Ann", force=True)
    registry.import_result(reg, b, council_code="E06000066", source_file="one.csv", by="Bo")  # Somerset: 1 now
    before_bo = registry.versions(reg)[0]
    registry.import_result(reg, b, council_code="E06000034", source_file="one.csv", by="Cy")  # another council
    registry.restore(reg, before_bo.id, by="Di", council_code="E06000066")
    records, log = registry.load(reg)
    assert sorted(records.id[records.council_code == "E06000066"]) == ["M1", "M6", "M7", "M9"]
    assert records.id[records.council_code == "E06000034"].tolist() == ["N1"]  # Cy's import kept
    assert log.iloc[-1][["council_code", "mode", "accepted", "imported_by"]].tolist() == [
        "E06000066",
        "restore",
        4,
        "Di",
    ]


def test_only_the_last_n_versions_are_kept(reg):
    reg = dataclasses.replace(reg, keep=2)
    result = load_providers(MESSY)
    for i in range(4):
        registry.import_result(reg, result, council_code="E06000066", source_file=f"f{i}.csv", by="Ann", force=True)
    assert [v.note[-8:] for v in registry.versions(reg)] == ["(f3.csv)", "(f2.csv)"]


def test_a_change_prepared_on_stale_records_is_refused(reg):
    result = load_providers(MESSY)
    registry.import_result(reg, result, council_code="E06000066", source_file="a.csv", by="Ann", force=True)
    seen = reg.token()  # the page with the editor is drawn
    registry.import_result(
        reg, result, council_code="E06000034", source_file="b.csv", by="Bo", force=True
    )  # someone else
    assert reg.token() != seen
    with (
        pytest.raises(registry.RegistryConflictError, match="someone else saved"),
        registry.transaction(reg, by="Ann", expect=seen) as tx,
    ):
        tx.records = tx.records.iloc[:0]
    assert len(registry.load(reg)[0]) == 8  # nothing lost


def test_replace_with_a_mostly_bad_file_is_refused_unless_forced(reg, tmp_path):
    registry.import_result(
        reg, load_providers(MESSY), council_code="E06000066", source_file="a.csv", by="Ann", force=True
    )
    f = tmp_path / "bad.csv"
    f.write_text("id,name,postcode\nB1,Good,TA1 1AA\nB2,Bad,nowhere\nB3,Bad,ZZ9 9ZZ\n")
    bad = load_providers(f)
    assert (len(bad.accepted), len(bad.rejected)) == (1, 2)
    with pytest.raises(registry.ReplaceRefusedError, match="2 rows were rejected and only 1 accepted"):
        registry.import_result(reg, bad, council_code="E06000066", source_file="bad.csv", by="Bo")
    assert len(registry.load(reg)[0]) == 4 and len(registry.versions(reg)) == 1
    # "update" never removes anything, so it is allowed; a forced replace goes through.
    assert registry.import_result(reg, bad, council_code="E06000066", source_file="b.csv", mode="update") == 5
    assert registry.import_result(reg, bad, council_code="E06000066", source_file="b.csv", force=True) == 1


def test_replace_and_update_modes(imported, tmp_path):
    records, _ = imported
    other = records.assign(council_code="E06000034")  # another council's records are never touched
    both = pd.concat([records, other], ignore_index=True)
    f = tmp_path / "new.csv"
    f.write_text("id,name,postcode\nM1,Renamed,TA1 1AA\nN1,New one,TA1 4LH\n")
    result = load_providers(f)
    replaced = registry.merge_import(both, result, council_code="E06000066", source_file="new.csv", by="Bo", now=T2)
    assert sorted(replaced[replaced.council_code == "E06000066"].id) == ["M1", "N1"]
    assert (replaced.council_code == "E06000034").sum() == 4
    updated = registry.merge_import(
        both, result, council_code="E06000066", source_file="new.csv", by="Bo", mode="update", now=T2
    )
    mine = updated[updated.council_code == "E06000066"].set_index("id")
    assert sorted(mine.index) == ["M1", "M6", "M7", "M9", "N1"]
    assert mine.loc["M1", "name"] == "Renamed" and mine.loc["M6", "name"] == "Linked Help"


def editable(records):
    return registry.editable_table(records, "E06000066")


def test_closing_a_provider_in_the_editor(imported):
    records, _ = imported
    table = editable(records)
    table.loc[table.id == "M1", "end_date"] = datetime(2026, 1, 31).date()
    new, check = registry.apply_edits(
        records,
        table,
        council_code="E06000066",
        postcodes=postcodes_for(table, "postcode"),
        outline=SOMERSET_BOX,
        by="Cat",
        now=T2,
    )
    assert not check.rejected
    m = new.set_index("id")
    assert m.loc["M1", "end_date"] == pd.Timestamp("2026-01-31")
    assert m.loc["M1", "updated_by"] == "Cat" and m.loc["M1", "updated_at"] == pd.Timestamp(T2)
    assert m.loc["M9", "updated_by"] == "Ann"  # untouched rows keep their history
    assert m.loc["M1", "imported_by"] == "Ann"


def test_adding_a_row_geocodes_its_postcode(imported):
    records, _ = imported
    table = editable(records)
    table = pd.concat(
        [table, pd.DataFrame([{"id": "N2", "name": "Added", "kind": "other", "postcode": "ta14lh"}])], ignore_index=True
    )
    new, check = registry.apply_edits(
        records,
        table,
        council_code="E06000066",
        postcodes=postcodes_for(table, "postcode"),
        outline=SOMERSET_BOX,
        by="Cat",
    )
    assert not check.rejected
    added = new.set_index("id").loc["N2"]
    assert added.postcode == "TA1 4LH" and added.easting > 0 and added.source_file == "added in the app"


def test_a_bad_edit_changes_nothing(imported):
    records, _ = imported
    table = editable(records)
    table.loc[table.id == "M1", "capacity"] = -5
    new, check = registry.apply_edits(
        records,
        table,
        council_code="E06000066",
        postcodes=postcodes_for(table, "postcode"),
        outline=SOMERSET_BOX,
        by="Cat",
    )
    assert check.rejected[0].field == "capacity"
    assert new is records


def test_a_saved_sample_stays_labelled(reg):
    from tests.test_gaps import SAMPLE

    result = load_providers(SAMPLE)
    assert result.illustrative and "illustrative sample" in result.warnings[0]
    registry.import_result(reg, result, council_code="E06000066", source_file="s.csv", by="Ann")
    assert registry.load(reg)[0].illustrative.all()


def test_a_killed_writers_temporary_copy_is_private_and_cleared_by_the_next_save(tmp_path):
    from gapmap import io

    reg = registry.Registry(tmp_path / "data" / "registry.gpkg")
    registry.import_result(reg, load_providers(MESSY), council_code="E06000066", source_file="m.csv", force=True)
    # What SIGKILL mid-save leaves: a private folder holding a half-written copy.
    with pytest.raises(KeyboardInterrupt), io.atomic_path(reg.path) as tmp:
        tmp.write_bytes(b"half a registry")
        left = tmp.parent
        raise KeyboardInterrupt  # (a real kill skips the clean-up below; see the next lines)
    assert not left.exists()  # an interrupted write removes its own copy…
    left.mkdir(mode=0o700)
    (left / "registry.gpkg").write_bytes(b"half a registry")  # …a SIGKILLed one cannot
    assert left.stat().st_mode & 0o777 == 0o700 and left.name.startswith(io.TEMP_PREFIX)
    registry.import_result(reg, load_providers(MESSY), council_code="E06000034", source_file="m.csv", force=True)
    assert not left.exists() and len(registry.load(reg)[0]) == 8
