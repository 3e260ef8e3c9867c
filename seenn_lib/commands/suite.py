"""`python -m seenn_lib reproduce | explorer`: the notebooks, run with papermill or served as a dashboard."""
from __future__ import annotations

import os
import sys

from ..config import profile_configs
from ..dry_run import run as dry_run
from ..notebooks import BUILD, default_jobs, explorer_dashboard


def reproduce(args) -> None:
    if args.dry_run:
        log = dry_run(args.profile, args.device, args.data_root, args.jobs or default_jobs(args.device), args.only,
                      budget=not args.skip_budget)
        print(log.drop(columns=["artifacts"]).to_string(index=False))
        sys.exit(int((log["status"] != "ok").any()))
    if args.data_root or args.skip_budget:
        raise ValueError("--data-root and --skip-budget belong to a dry run: add --dry-run (paper profile only)")
    # the notebooks' kernels import torch; their coordinator need not hold it too (~450 MB here): it continues
    # in a fresh interpreter that imports seenn_lib.notebooks alone
    os.execv(sys.executable, [sys.executable, "-m", "seenn_lib.notebooks", args.profile, args.device, str(args.jobs),
                              *(args.only or [])])


def explorer(args) -> None:
    profile_configs(args.profile)  # an unknown profile fails here, not in the browser
    dashboard = explorer_dashboard(BUILD.parent / "explorer" / "16_explorer.ipynb",
                                   {"profile": args.profile, "device": args.device})
    os.execv(sys.executable, [sys.executable, "-m", "voila", str(dashboard), f"--port={args.port}",
                              "--show_tracebacks=True"])
