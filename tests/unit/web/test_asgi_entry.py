"""The uvicorn entry point: what it does beyond create_app."""

from __future__ import annotations

import os
import subprocess
import sys


def test_the_served_app_puts_its_start_up_objects_out_of_the_collectors_way() -> None:
    # In a process of its own: freezing is for the server's lifetime, not the test run's.
    probe = ("import gc; before = gc.get_freeze_count(); import portal.web.asgi; "
             "print(before, gc.get_freeze_count())")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                          env=os.environ.copy(), check=False, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    before, after = map(int, done.stdout.split()[-2:])
    # Tens of thousands: the modules, the app and its templates, not a handful.
    assert before == 0 and after > 50_000
