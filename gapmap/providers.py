"""Provider records (compatibility names): the schema, cell parsing, validation and activity.

The work is split by job: :mod:`gapmap.schema` (fields, kinds, labels), :mod:`gapmap.cells`
(reading single cells), :mod:`gapmap.validate` (checking rows and locating providers) and
:mod:`gapmap.supply` (which providers are active on a date). This module re-exports their
public names for code written against the old single module.
"""

from gapmap.cells import normalise_postcode, parse_date
from gapmap.schema import (
    ACCEPTED_COLUMNS,
    CLIENT_GROUPS,
    DEFAULT_CAPACITY,
    FIELDS,
    GB_BNG,
    GB_LONLAT,
    ILLUSTRATIVE_MARK,
    KIND_LABELS,
    KINDS,
    SERVICES,
    map_columns,
    normalise_header,
)
from gapmap.supply import active_at
from gapmap.validate import Problem, ValidationResult, validate_providers

__all__ = [
    "ACCEPTED_COLUMNS",
    "CLIENT_GROUPS",
    "DEFAULT_CAPACITY",
    "FIELDS",
    "GB_BNG",
    "GB_LONLAT",
    "ILLUSTRATIVE_MARK",
    "KINDS",
    "KIND_LABELS",
    "SERVICES",
    "Problem",
    "ValidationResult",
    "active_at",
    "map_columns",
    "normalise_header",
    "normalise_postcode",
    "parse_date",
    "validate_providers",
]
