"""Assessment months: calendar months in Beijing time, written YYYY-MM."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

SHANGHAI = ZoneInfo("Asia/Shanghai")
MONTH_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


@dataclass(frozen=True, slots=True, order=True)
class Month:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not (1 <= self.month <= 12 and 1 <= self.year <= 9999):
            raise ValueError(f"not a month: {self.year}-{self.month}")

    @classmethod
    def parse(cls, text: str) -> Month:
        """`YYYY-MM`; raises ValueError for anything else."""
        if not re.fullmatch(MONTH_PATTERN, text):
            raise ValueError(f"not a YYYY-MM month: {text!r}")
        return cls(int(text[:4]), int(text[5:]))

    @classmethod
    def of(cls, moment: datetime) -> Month:
        """The month `moment` falls in, in Beijing time (a rating at 23:30 UTC on the 31st
        belongs to the next month)."""
        local = moment.astimezone(SHANGHAI)
        return cls(local.year, local.month)

    def previous(self) -> Month:
        return Month(self.year - 1, 12) if self.month == 1 else Month(self.year, self.month - 1)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"
