"""ui/preload.py: after preload(), a first Explore run imports nothing more.

Run in a fresh interpreter (a subprocess), since this test process has long
imported everything.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]

FIRST_RUN = """
import json, sys
sys.path.insert(0, {root!r})
{preload}
from segmentation import visualize
downscaled = []
real = visualize.downscale_image
visualize.downscale_image = lambda *args: downscaled.append(args[1:]) or real(*args)
from streamlit.testing.v1 import AppTest
before = set(sys.modules)
app = AppTest.from_file({app!r}, default_timeout=120).run()
assert not app.exception, app.exception
assert any("<table>" in m.value and "compactness" in m.value for m in app.markdown)  # a result
new = sorted(name for name in set(sys.modules) - before
             if not name.startswith("streamlit.testing"))  # AppTest's own, not the server's
print(json.dumps({{"modules": new, "downscaled": len(downscaled)}}))
"""


def first_run(preload: bool) -> dict:
    code = FIRST_RUN.format(root=str(REPO_ROOT), app=str(REPO_ROOT / "app.py"),
                            preload="import ui.preload; ui.preload.preload()" if preload else "")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])  # {"modules": [...], "downscaled": n}


def test_after_preload_a_first_run_imports_nothing_and_reduces_no_sample():
    assert first_run(preload=True) == {"modules": [], "downscaled": 0}


def test_without_preload_the_first_run_imports_the_app_and_reduces_the_sample():
    # The check above is not vacuous: a first run does import the app's packages.
    cold = first_run(preload=False)
    assert cold["downscaled"] == 1  # the default sample, reduced to the working size
    imported = cold["modules"]
    for package in ("ui.cache", "ui.views", "pandas", "jinja2"):
        assert package in imported


def test_the_launcher_starts_streamlit_after_preloading():
    """deploy/preloaded_streamlit.py is Streamlit's command line, with ui.preload run first."""
    code = ("import runpy, sys; sys.argv = ['preloaded_streamlit.py', 'version'];"
            "runpy.run_path('deploy/preloaded_streamlit.py', run_name='__main__')")
    done = subprocess.run([sys.executable, "-c", code + "\n"], capture_output=True, text=True,
                          cwd=REPO_ROOT, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Streamlit, version" in done.stdout
