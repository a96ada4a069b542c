"""Query filters as typed on the command line: ``"tmr>1.5"``, ``"r_p<=6000"``, ``"die=C03R07"``,
``"procedure=rh-loop"``. The key is a run field, a device identity field or a summary key; numbers compare
numerically, text fields take ``=`` and ``!=`` only."""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, select

from .models import Run, SummaryValue

OPERATORS: dict[str, Callable[[Any, Any], Any]] = {
    "==": operator.eq, "=": operator.eq, "!=": operator.ne, "<=": operator.le, ">=": operator.ge,
    "<": operator.lt, ">": operator.gt}
_FILTER = re.compile(r"^\s*([A-Za-z_][\w.-]*)\s*(==|!=|<=|>=|=|<|>)\s*(.*?)\s*$")
TEXT_FIELDS = {"procedure": Run.procedure, "status": Run.status, "campaign": Run.campaign, "bench": Run.bench,
               "uid": Run.uid, "wafer": Run.wafer, "die": Run.die, "crosspoint": Run.crosspoint,
               "label": Run.label}
NUMBER_FIELDS = {"id": Run.id, "column": Run.column, "row": Run.row, "seed": Run.seed, "points": Run.points}


class FilterError(ValueError):
    """A filter that cannot be understood; the message names it."""


@dataclass(frozen=True)
class Filter:
    key: str
    op: str
    value: str
    text: str  # as the user wrote it

    @classmethod
    def parse(cls, text: str) -> Filter:
        match = _FILTER.match(text)
        if match is None or not match.group(3):
            raise FilterError(f"filter {text!r} is not KEY OP VALUE (OP one of = != < <= > >=), "
                              "e.g. 'tmr>1.5' or 'die=C03R07'")
        return cls(match.group(1), match.group(2), match.group(3), text)

    def clause(self, summary_keys: Collection[str]) -> ColumnElement[bool]:
        """The SQL condition; ``summary_keys`` are the keys the database holds (a typo is an error, not an
        empty result)."""
        compare = OPERATORS[self.op]
        if self.key in TEXT_FIELDS:
            if self.op not in ("=", "==", "!="):
                raise FilterError(f"filter {self.text!r}: {self.key} is text; use = or !=")
            return compare(TEXT_FIELDS[self.key], self.value)
        number = self._number()
        if self.key in NUMBER_FIELDS:
            return compare(NUMBER_FIELDS[self.key], number)
        if self.key not in summary_keys:
            known = sorted(set(TEXT_FIELDS) | set(NUMBER_FIELDS) | set(summary_keys))
            raise FilterError(f"filter {self.text!r}: unknown key {self.key!r}; known keys: {', '.join(known)}")
        return exists(select(SummaryValue.id).where(
            and_(SummaryValue.run_id == Run.id, SummaryValue.key == self.key, compare(SummaryValue.value, number))))

    def _number(self) -> float:
        try:
            return float(self.value)
        except ValueError:
            raise FilterError(f"filter {self.text!r}: {self.key} is a number, {self.value!r} is not") from None
