"""`python -m seenn_lib reproduce --profile paper --dry-run`: the paper profile's dry run (seenn_lib.dry_run)."""
from __future__ import annotations

import sys

from ..dry_run import run
from ..notebooks import default_jobs


def reproduce(args) -> None:
    if args.seeds != [0]:
        raise ValueError("--seeds belongs to a real run: a dry run's numbers mean nothing, whatever the seed")
    log = run(args.profile, args.device, args.data_root, args.jobs or default_jobs(args.device), args.only,
              budget=not args.skip_budget)
    print(log.drop(columns=["artifacts"]).to_string(index=False))
    sys.exit(int((log["status"] != "ok").any()))
