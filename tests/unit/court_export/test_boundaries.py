"""court_export/ stands alone: a court runs it without the portal."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import court_export

PACKAGE = Path(court_export.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module)
    return names


def test_no_module_of_court_export_imports_the_portal() -> None:
    offenders = {str(path.relative_to(PACKAGE)): sorted(n for n in imported_modules(path)
                                                        if n.split(".")[0] == "portal")
                 for path in PACKAGE.rglob("*.py")}
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_library_loads_without_the_portal_on_the_path() -> None:
    code = ("import sys; sys.modules['portal'] = None; "
            "import court_export.package, court_export.delivery, court_export.notices, "
            "court_export.keys, court_export.__main__; print('ok')")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            cwd=PACKAGE.parent, check=False)
    assert result.stdout.strip() == "ok", result.stderr
