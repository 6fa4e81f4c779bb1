"""The one output format of `make bench`, shared by every benchmark module."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    name: str
    value: float
    baseline: float
    target: float
    higher_is_better: bool = True

    @property
    def ratio(self) -> float:
        return self.value / self.baseline if self.baseline else float("inf")

    @property
    def ok(self) -> bool:
        return self.ratio >= self.target if self.higher_is_better else self.ratio <= self.target

    def line(self) -> str:
        return (f"figure: {self.name} value={self.value:.4g} baseline={self.baseline:.4g} "
                f"ratio={self.ratio:.4g} target={self.target:g} {'ok' if self.ok else 'short'}")
