"""``streamlit ...`` with the app's modules imported first (see :mod:`ui.preload`).

Used by ``serve-local.sh`` and the Kubernetes Deployment in place of
``python -m streamlit``, with the same arguments::

    python deploy/preloaded_streamlit.py run app.py --server.port 8501
"""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the repository: ui/, app.py

from streamlit.web.cli import main  # noqa: E402

from ui.preload import preload  # noqa: E402

if __name__ == "__main__":
    preload()
    sys.exit(main(prog_name="streamlit"))
