"""`python -m seenn_lib ...`: data, train, train-seenn2, evaluate, reproduce, explorer, bench."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _data(args):
    from .data import DEFAULT_ROOT, dataset_spec
    spec, root = dataset_spec(args.name), Path(args.root or DEFAULT_ROOT)
    if spec.prepare is not None:
        print(spec.prepare(root))
    else:  # downloaded by hand: the loader checks the layout and names what is missing
        spec.load(root)
        print(f"{args.name} is available under {root}")


def _train(args):
    from .config import get_config
    from .train import model_dir, train
    cfg = get_config(args.profile, args.experiment)
    train(cfg, device=args.device)
    print(model_dir(cfg) / "model.pt")


def _train_seenn2(args):
    from .artifacts import artifact_dir
    from .policy import get_seenn2, train_seenn2
    setup = get_seenn2(args.profile, args.experiment)
    train_seenn2(setup, args.beta, device=args.device)
    print(artifact_dir("seenn2", setup.key(args.beta)) / "model.pt")


def _evaluate(args):
    from .config import get_config
    from .evaluate import cached_logits
    from .exits import alpha_sweep, fixed_sweep
    cfg = get_config(args.profile, args.experiment)
    mean_logits, targets = cached_logits(cfg, device=args.device)
    print(fixed_sweep(mean_logits, targets).to_string(index=False))
    print(alpha_sweep(mean_logits, targets, args.alphas).to_string(index=False))


def _reproduce(args):
    from .notebooks import reproduce
    log = reproduce(args.profile, args.only, args.device)
    print(log.to_string(index=False))
    if (log["status"] != "ok").any():
        sys.exit(1)


def _explorer(args):
    from .config import profile_configs
    from .notebooks import BUILD, explorer_dashboard
    profile_configs(args.profile)  # an unknown profile fails here, not in the browser
    dashboard = explorer_dashboard(BUILD.parent / "explorer" / "16_explorer.ipynb",
                                   {"profile": args.profile, "device": args.device})
    os.execv(sys.executable, [sys.executable, "-m", "voila", str(dashboard), f"--port={args.port}",
                              "--show_tracebacks=True"])


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m seenn_lib", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="make a dataset available under data/")
    d.add_argument("name")
    d.add_argument("--root", default=None)
    d.set_defaults(func=_data)

    for name, func, helptext in [("train", _train, "train one experiment of a profile"),
                                 ("evaluate", _evaluate, "per-t accuracy and a SEENN-I alpha sweep")]:
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--profile", default="smoke")
        c.add_argument("--experiment", default="direct")
        c.add_argument("--device", default="cpu")
        c.set_defaults(func=func)
    s2 = sub.add_parser("train-seenn2", help="SEENN-II joint fine-tuning of SNN + policy at one beta")
    s2.add_argument("--profile", default="smoke")
    s2.add_argument("--experiment", default="seenn2")
    s2.add_argument("--beta", type=float, required=True)
    s2.add_argument("--device", default="cpu")
    s2.set_defaults(func=_train_seenn2)
    sub.choices["evaluate"].add_argument("--alphas", type=float, nargs="+",
                                         default=[0.5, 0.7, 0.8, 0.9, 0.95, 0.99])

    r = sub.add_parser("reproduce", help="run the notebooks with papermill and write figures/REPORT.md")
    r.add_argument("--profile", default="smoke")
    r.add_argument("--only", nargs="*", default=None, help="notebook numbers or names")
    r.add_argument("--device", default="cpu")
    r.set_defaults(func=_reproduce)

    e = sub.add_parser("explorer", help="serve notebook 16's sliders as a Voila dashboard")
    e.add_argument("--profile", default="smoke")
    e.add_argument("--device", default="cpu")
    e.add_argument("--port", type=int, default=8866)
    e.set_defaults(func=_explorer)

    from .bench import add_bench_parser
    add_bench_parser(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        raise SystemExit(f"error: {err}") from err


if __name__ == "__main__":
    main()
