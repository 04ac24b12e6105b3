"""Typed errors and warnings raised by gapmap."""

from __future__ import annotations


class GapmapError(Exception):
    """Base class for every error gapmap raises on purpose."""


class UnknownCouncilError(GapmapError, KeyError):
    """A council code or name that is not in the shipped council list.

    Parameters
    ----------
    query
        What the user asked for.
    suggestions
        ``(code, name)`` pairs of close matches, best first.
    """

    def __init__(self, query: str, suggestions: list[tuple[str, str]]) -> None:
        self.query = query
        self.suggestions = suggestions
        super().__init__(query)

    def __str__(self) -> str:
        msg = f"unknown council {self.query!r}"
        if self.suggestions:
            near = ", ".join(f"{code} ({name})" for code, name in self.suggestions)
            msg += f"; did you mean: {near}?"
        else:
            msg += "; run `python -m gapmap councils` to list the codes"
        return msg


class DataMissingError(GapmapError, FileNotFoundError):
    """A shipped data file is missing: the checkout is incomplete or the data was not built."""


class AreaFileError(GapmapError, ValueError):
    """A user-supplied boundary file that cannot be used, with the reason and what to do."""


class ProviderFileError(GapmapError, ValueError):
    """A provider file that cannot be used at all (unreadable, no location column, too big)."""


class CrsError(GapmapError, ValueError):
    """A GeoDataFrame without a CRS, or in the wrong one for distance work."""


class SitingError(GapmapError, ValueError):
    """A recruitment plan that cannot be made as asked (number of sites, candidates, options)."""


class NothingToPlanError(SitingError):
    """No default candidate site, so no new provider would add anyone.

    Everyone of the band is within reach already (or, capacity-aware, no one is short of a place).
    """


class OutputError(GapmapError, OSError):
    """An output file or folder that cannot be written (read-only, missing permission, a folder)."""


class EconomyParamError(GapmapError, ValueError):
    """A local-economy parameter that cannot be used; ``parameter`` names it.

    Not a number, negative, a share above 1, or an unknown name.

    Parameters
    ----------
    parameter
        The parameter's name (e.g. ``hourly_rate_gbp``), or the file for an unreadable file.
    problem
        What is wrong, in plain English.
    """

    def __init__(self, parameter: str, problem: str) -> None:
        self.parameter = parameter
        self.problem = problem
        super().__init__(f"{parameter}: {problem}")


class PlanFileError(GapmapError, ValueError):
    """A recruitment-plan file (the planner's sites) that cannot be used."""


class RegistryError(GapmapError, RuntimeError):
    """The registry cannot be read or written (locked too long, unreadable, disk full, read-only)."""


class RegistryConflictError(RegistryError):
    """Someone else saved the registry after this change was prepared: reload and try again."""


class ReplaceRefusedError(RegistryError):
    """A replace import that would throw away more rows than it keeps, without ``force``."""


class OptionError(GapmapError, ValueError):
    """A command-line option or setting with an unusable value (not a number, out of range).

    The base of every error :mod:`gapmap._validate` raises for a setting; the subclasses name
    which setting it is.
    """


class LevelError(OptionError):
    """An unknown aggregation level or an invalid level option (hex width, boundary layers, measure)."""


class CostError(OptionError):
    """A cost-table setting that cannot be used: :class:`RadiusError` or :class:`RoadFactorError`."""


class RadiusError(CostError):
    """A catchment radius (or another distance setting) that is not a positive number of km."""


class RoadFactorError(CostError):
    """A road/straight-line factor below 1 or not a number (roads are never shorter than a straight line)."""


class KindsError(OptionError):
    """Provider kinds that cannot be used: none chosen, or a kind gapmap does not know."""


class BandError(OptionError):
    """An age band gapmap does not know (not ``65plus``, ``75plus`` or ``85plus``)."""


class GapmapWarning(UserWarning):
    """A recoverable problem the user should know about (e.g. overlapping areas)."""


class ClosureError(GapmapError, ValueError):
    """A closure or before/after comparison that cannot be made (unknown ids, dates the wrong way round)."""


class ProjectionError(GapmapError, ValueError):
    """Population projections that are missing for a council or cannot be read."""


class TimelineError(GapmapError, ValueError):
    """Frame dates that cannot be made (end before start, unknown step, too many frames)."""


class ReportError(GapmapError, ValueError):
    """A hand-out (deck, PDF, picture) that cannot be made from the inputs given."""


class RoadFileError(GapmapError, ValueError):
    """A road extract (``.osm.pbf``) that cannot be used: missing, empty, truncated or not OpenStreetMap."""


class RoadCoverageError(GapmapError, ValueError):
    """A road extract that does not cover the council (no drivable road in it)."""
