"""The recruitment plan handed from the planner to the economy page, the deck and presentation mode.

A :class:`RecruitmentPlan` is what the Plan recruitment page made: the council, the reach it
was planned for (age band, radius or minutes), the people each recruit supports, whether the
providers were the illustrative sample, and the sites (the ``site`` command's columns). The
economy page and the deck read it as it is, and ignore a plan made for another council.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from gapmap.errors import PlanFileError
from gapmap.schema import SITE_COLUMNS

PEOPLE_PER_RECRUIT = 7.0
"""People one newly recruited micro-provider supports: Somerset's community micro-enterprise
programme reached about 4,000 people across about 600 micro-providers by 2020 (Somerset County
Council and Community Catalysts), about 7 each. The planner's default capacity and the economy's
figure for what a plan adds (one constant for both)."""

PEOPLE_PER_RECRUIT_SOURCE = (
    "About 4,000 people supported by about 600 Somerset community micro-providers in 2020 "
    "(Somerset County Council and Community Catalysts), i.e. about 7 people each."
)


@dataclass(frozen=True, eq=False)
class RecruitmentPlan:
    """One recruitment plan, as made on the Plan recruitment page (or by ``python -m gapmap site``).

    Attributes
    ----------
    council
        ONS code of the council the plan is for.
    band
        Age band code (``"65plus"``, ``"75plus"``, ``"85plus"``).
    radius_km
        Catchment radius the sites were chosen for.
    sites
        One row per new micro-provider: :data:`gapmap.schema.SITE_COLUMNS` (+ optional
        ``reason``, ``source``, ``parish_code``, ``parish_name``). Copied on construction.
    covered_before, covered_after
        People of the band within reach of support before and with the plan.
    people_per_recruit
        People each new micro-provider supports.
    illustrative
        The providers the plan was made against are the illustrative sample.
    minutes
        Travel time in minutes when the plan was made on road times (``None``: straight-line km).
    as_at
        Providers open on this date counted as existing.
    kinds
        Kinds of existing provider that counted.

    Raises
    ------
    PlanFileError
        When ``sites`` lacks a column of the planner's contract, or a figure is impossible.
    """

    council: str
    band: str
    radius_km: float
    sites: pd.DataFrame
    covered_before: float
    covered_after: float
    people_per_recruit: float = PEOPLE_PER_RECRUIT
    illustrative: bool = False
    minutes: float | None = None
    as_at: date | None = None
    kinds: tuple[str, ...] = field(default=())

    def __post_init__(self) -> None:
        missing = [c for c in SITE_COLUMNS if c not in self.sites.columns]
        if missing:
            raise PlanFileError(f"the plan lacks the planner's columns {', '.join(missing)}")
        if not self.people_per_recruit > 0:
            raise PlanFileError(f"people per recruit must be above 0, not {self.people_per_recruit!r}")
        object.__setattr__(self, "sites", pd.DataFrame(self.sites).reset_index(drop=True).copy())
        object.__setattr__(self, "kinds", tuple(self.kinds))

    @property
    def gain(self) -> float:
        """People of the band newly within reach with the plan."""
        return self.covered_after - self.covered_before

    @property
    def n_sites(self) -> int:
        """How many new micro-providers the plan has."""
        return len(self.sites)

    @property
    def reach(self) -> str:
        """The reach in words: ``"5 km"`` or ``"20 minutes"``."""
        return f"{self.minutes:g} minutes" if self.minutes is not None else f"{self.radius_km:g} km"

    def summary(self) -> dict[str, float]:
        """``people_within_before``, ``people_within_after`` and ``gain`` (the deck's plan summary)."""
        return {
            "people_within_before": float(self.covered_before),
            "people_within_after": float(self.covered_after),
            "gain": float(self.gain),
        }

    def for_council(self, code: str) -> bool:
        """Whether the plan was made for council ``code`` (another council's plan is never used)."""
        return self.council == code


def plan_for(plan: object, council: str) -> RecruitmentPlan | None:
    """The session's plan when it is a :class:`RecruitmentPlan` made for ``council``, else ``None``.

    Examples
    --------
    >>> plan_for(None, "E06000066") is None
    True
    """
    return plan if isinstance(plan, RecruitmentPlan) and plan.for_council(council) and plan.n_sites else None
