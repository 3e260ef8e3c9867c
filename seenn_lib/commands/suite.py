"""`python -m seenn_lib reproduce | explorer`: the notebooks, run with papermill or served as a dashboard."""
from __future__ import annotations

import os
import sys

from ..config import profile_configs
from ..notebooks import BUILD, explorer_dashboard


def reproduce(args) -> None:
    if args.data_root or args.skip_budget:
        raise ValueError("--data-root and --skip-budget belong to a dry run: add --dry-run (paper profile only)")
    # the notebooks' kernels import torch; their coordinator need not hold it too (~450 MB here): it continues
    # in a fresh interpreter that imports seenn_lib.notebooks alone
    os.execv(sys.executable, [sys.executable, "-m", "seenn_lib.notebooks", args.profile, args.device, str(args.jobs),
                              ",".join(map(str, args.seeds)), *(args.only or [])])


def explorer(args) -> None:
    profile_configs(args.profile)  # an unknown profile fails here, not in the browser
    dashboard = explorer_dashboard(BUILD.parent / "explorer" / "16_explorer.ipynb",
                                   {"profile": args.profile, "device": args.device})
    os.execv(sys.executable, [sys.executable, "-m", "voila", str(dashboard), f"--port={args.port}",
                              "--show_tracebacks=True"])
