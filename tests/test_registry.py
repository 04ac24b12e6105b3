"""The registry: persistence, atomic saves, imports and edits."""

from datetime import datetime

import pandas as pd
import pytest
import shapely

from gapmap import registry
from gapmap.records import load_providers, postcodes_for
from tests.test_records import MESSY

SOMERSET_BOX = shapely.box(270_000, 100_000, 380_000, 160_000)
T1, T2 = datetime(2026, 1, 5, 9, 0), datetime(2026, 2, 1, 12, 0)


@pytest.fixture
def reg(tmp_path):
    return registry.Registry(tmp_path / "data" / "registry.gpkg")


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
    assert len(records) == 0 and len(log) == 0 and not reg.path.exists()


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


def test_a_crash_mid_save_leaves_the_previous_registry_intact(reg, imported, monkeypatch):
    before = reg.path.read_bytes()
    records, log = imported

    def crash(path, records_, log_):
        records_.iloc[:1].to_file(path, layer="providers", engine="pyogrio")  # half written…
        raise OSError("disk full")  # …then the machine gives up

    monkeypatch.setattr(registry, "_write_layers", crash)
    with pytest.raises(registry.RegistryError, match="previous copy is unchanged"):
        registry.save(reg, records.iloc[:0], log)
    assert reg.path.read_bytes() == before
    assert sorted(p.name for p in reg.path.parent.iterdir()) == ["registry.gpkg", "registry.gpkg.lock"]
    assert len(registry.load(reg)[0]) == 4


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
    records, log = registry.load(reg)
    records = registry.merge_import(records, result, council_code="E06000066", source_file="s.csv", by="Ann")
    registry.save(reg, records, log)
    assert registry.load(reg)[0].illustrative.all()
