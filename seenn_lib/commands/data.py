"""`python -m seenn_lib data NAME`: make a dataset (or a stand-in) available."""
from __future__ import annotations

from pathlib import Path

from ..data import DEFAULT_ROOT, STANDINS, dataset_spec, make_standin


def data(args) -> None:
    spec, root = dataset_spec(args.name), Path(args.root or DEFAULT_ROOT)
    if args.name in STANDINS:
        folder, made = make_standin(args.name, root)
        print(f"made {folder}" if made else f"{folder} is already there: nothing to do (delete it to remake it)")
    elif spec.prepare is not None:
        print(spec.prepare(root))
    else:  # downloaded by hand: the loader checks the layout and names what is missing
        spec.load(root)
        print(f"{args.name} is available under {root}")
