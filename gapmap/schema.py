"""The provider schema, defined once: fields, kinds and their labels, vocabularies, header spellings.

A provider is a point with an id, name, kind (``micro_enterprise``, ``day_centre``,
``other``), services, client groups, capacity (people supported), a start date and an end or
closure date (empty while active).
"""

from __future__ import annotations

import re

KINDS = ("micro_enterprise", "day_centre", "other")
KIND_LABELS = {"micro_enterprise": "Micro-enterprise", "day_centre": "Day centre", "other": "Other provider"}
"""How each kind is named to people (legends, tooltips, pickers): the one definition."""
SERVICES = (
    "home care",
    "home help",
    "personal care",
    "day activities",
    "socialising and fun",
    "peer support",
    "arts and crafts",
    "transport",
    "other",
)
CLIENT_GROUPS = ("older people", "physical disability", "learning disability", "mental health", "carers")
ILLUSTRATIVE_MARK = "Illustrative sample"
"""Text that marks a generated sample file (every row of data/sample carries it)."""
DEFAULT_CAPACITY = 10.0
"""People supported assumed when capacity is blank (a micro-provider typically supports 10–15)."""

FIELDS = (
    "id",
    "name",
    "kind",
    "services",
    "client_groups",
    "capacity",
    "start_date",
    "end_date",
    "lat",
    "lon",
    "easting",
    "northing",
    "postcode",
)
"""Canonical columns of a provider file (see the README's template)."""

# Header spellings seen in council spreadsheets, compared after lower-casing and removing
# everything but letters and digits ("Post Code" -> "postcode").
_ALIASES = {
    "id": ("id", "providerid", "ref", "reference", "providerref", "recordid", "code"),
    "name": (
        "name",
        "providername",
        "businessname",
        "business",
        "organisation",
        "organization",
        "tradingname",
        "provider",
    ),
    "kind": ("kind", "type", "providertype", "category", "kindofprovider"),
    "services": ("services", "service", "servicesoffered", "whattheyoffer", "offer"),
    "client_groups": (
        "clientgroups",
        "clientgroup",
        "clients",
        "whotheysupport",
        "supports",
        "usergroups",
        "customergroups",
    ),
    "capacity": (
        "capacity",
        "peoplesupported",
        "numberofpeoplesupported",
        "places",
        "clientcount",
        "noofclients",
        "numberofclients",
        "peoplesupportedcount",
    ),
    "start_date": (
        "startdate",
        "start",
        "started",
        "opened",
        "dateopened",
        "opendate",
        "datestarted",
        "registered",
        "registrationdate",
    ),
    "end_date": (
        "enddate",
        "end",
        "closed",
        "closuredate",
        "dateclosed",
        "closedate",
        "ceased",
        "datecease",
        "dateceased",
        "closedon",
    ),
    "lat": ("lat", "latitude"),
    "lon": ("lon", "lng", "long", "longitude"),
    "easting": ("easting", "eastings", "east", "x", "osgbeasting"),
    "northing": ("northing", "northings", "north", "y", "osgbnorthing"),
    "postcode": ("postcode", "postalcode", "pcd", "pcds", "pcode", "zip", "zipcode", "postcodeunit"),
}
_LOOKUP = {alias: canon for canon, aliases in _ALIASES.items() for alias in aliases}

KIND_WORDS = {
    "microenterprise": "micro_enterprise",
    "communitymicroenterprise": "micro_enterprise",
    "micro": "micro_enterprise",
    "microprovider": "micro_enterprise",
    "me": "micro_enterprise",
    "soletrader": "micro_enterprise",
    "daycentre": "day_centre",
    "daycenter": "day_centre",
    "dayservice": "day_centre",
    "dayservices": "day_centre",
    "other": "other",
}
SERVICE_WORDS = {re.sub(r"[^a-z]", "", s): s for s in SERVICES} | {
    "homecare": "home care",
    "domiciliarycare": "home care",
    "help": "home help",
    "cleaning": "home help",
    "daycare": "day activities",
    "dayactivity": "day activities",
    "activities": "day activities",
    "socialising": "socialising and fun",
    "socialisingandfun": "socialising and fun",
    "social": "socialising and fun",
    "companionship": "socialising and fun",
    "arts": "arts and crafts",
    "crafts": "arts and crafts",
    "peer": "peer support",
}
GROUP_WORDS = {re.sub(r"[^a-z]", "", g): g for g in CLIENT_GROUPS} | {
    "older": "older people",
    "olderpeople": "older people",
    "elderly": "older people",
    "physical": "physical disability",
    "pd": "physical disability",
    "ld": "learning disability",
    "learning": "learning disability",
    "mh": "mental health",
    "carer": "carers",
}

# Great Britain on the National Grid, and in longitude/latitude.
GB_BNG = (0.0, 0.0, 700_000.0, 1_300_000.0)
GB_LONLAT = (-8.7, 49.8, 1.9, 60.9)


ACCEPTED_COLUMNS = (
    "id",
    "name",
    "kind",
    "services",
    "client_groups",
    "capacity",
    "capacity_assumed",
    "start_date",
    "end_date",
    "postcode",
    "easting",
    "northing",
    "located_by",
    "row",
)
"""Columns of :attr:`ValidationResult.accepted` (plus ``outside_council`` and geometry)."""


def normalise_header(name: object) -> str:
    """Lower-case a header and keep only letters and digits (``"Post Code"`` → ``"postcode"``)."""
    return re.sub(r"[^a-z0-9]", "", str(name).lower())


def map_columns(columns: list[str], overrides: dict[str, str] | None = None) -> dict[str, str]:
    """Match user headers to canonical fields.

    Parameters
    ----------
    columns
        Headers as they appear in the file.
    overrides
        ``{canonical field: user column}`` chosen by the user; wins over guessing.

    Returns
    -------
    dict
        ``{canonical field: user column}`` for each field found.

    Examples
    --------
    >>> map_columns(["Provider Name", "Post Code", "Lat", "Longitude"])
    {'name': 'Provider Name', 'postcode': 'Post Code', 'lat': 'Lat', 'lon': 'Longitude'}
    """
    out: dict[str, str] = {}
    for col in columns:
        canon = _LOOKUP.get(normalise_header(col))
        if canon and canon not in out:
            out[canon] = col
    for canon, col in (overrides or {}).items():
        if canon not in FIELDS:
            raise ValueError(f"unknown provider field {canon!r}")
        if col:
            out = {k: v for k, v in out.items() if v != col}
            out[canon] = col
        else:  # the user said this field is in no column
            out.pop(canon, None)
    return out


SITE_COLUMNS = (
    "rank",
    "easting",
    "northing",
    "lat",
    "lon",
    "postcode",
    "area_code",
    "area_name",
    "people_reached",
    "people_reached_cumulative",
    "people_85plus_reached",
)
"""Columns of a recruitment plan, in order: the ``site`` command's output contract, which the
economy panel and the hand-outs read back (tables may add ``reason`` after them)."""
