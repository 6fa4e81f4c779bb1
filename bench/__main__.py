"""`make bench`: run every benchmark module and print one line per figure:

    figure: NAME value=V baseline=B ratio=R target=T ok|short

Each module in MODULES exposes ``run() -> list[Figure]`` and measures its own baseline in
the same run. ``python -m bench video`` runs only the modules whose name contains "video".
"""

from __future__ import annotations

import importlib
import sys

from bench.figures import Figure

__all__ = ["Figure", "main"]

# Added as the issues that name the figures land.
MODULES: tuple[str, ...] = (
    "bench.analytics",
    "bench.court",
    "bench.documents",
    "bench.video",
    "bench.web",
)


def main(argv: list[str]) -> int:
    wanted = [m for m in MODULES if not argv or any(a in m for a in argv)]
    if not wanted:
        print("bench: no figures registered yet", file=sys.stderr)
        return 0
    for name in wanted:
        module = importlib.import_module(name)
        for figure in module.run():
            print(figure.line(), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
