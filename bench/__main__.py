"""`make bench`: run every registered figure and print one line each:

    figure: NAME value=V baseline=B ratio=R target=T ok|short

The figures arrive with the issues that name them (documents, court export, analytics,
video, pages under load); until then this prints nothing and says so on stderr.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
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


BENCHMARKS: list[Callable[[], list[Figure]]] = []


def main() -> int:
    if not BENCHMARKS:
        print("bench: no figures registered yet", file=sys.stderr)
        return 0
    for bench in BENCHMARKS:
        for figure in bench():
            print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
