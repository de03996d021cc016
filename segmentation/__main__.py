"""Entry point of ``python -m segmentation``; the command line lives in :mod:`segmentation.cli`."""

from .cli import main

raise SystemExit(main())
