"""`python -m seenn_lib ...`: data, train, train-seenn2, evaluate, reproduce, explorer, bench."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from .bench import DEFAULT_OUT, DEFAULT_RESNETS, inference_command, layout_command, neurons_command, resnet_run
from .bench.gpu_check import gpu_check
from .config import experiment_of, get_config, profile_configs
from .data import DEFAULT_ROOT, STANDINS, dataset_spec, make_standin
from .exits import alpha_sweep, fixed_sweep
from .notebooks import BUILD, explorer_dashboard
from .pipelines import cached_logits
from .policy import get_seenn2, seenn2_dir, train_seenn2
from .train import model_dir, train


def _data(args):
    spec, root = dataset_spec(args.name), Path(args.root or DEFAULT_ROOT)
    if args.name in STANDINS:
        folder, made = make_standin(args.name, root)
        print(f"made {folder}" if made else f"{folder} is already there: nothing to do (delete it to remake it)")
    elif spec.prepare is not None:
        print(spec.prepare(root))
    else:  # downloaded by hand: the loader checks the layout and names what is missing
        spec.load(root)
        print(f"{args.name} is available under {root}")


def _train(args):
    cfg = get_config(args.profile, experiment_of(args.profile, "main", args.experiment))
    train(cfg, device=args.device)
    print(model_dir(cfg) / "model.pt")


def _train_seenn2(args):
    setup = get_seenn2(args.profile, args.experiment)
    train_seenn2(setup, args.beta, device=args.device)
    print(seenn2_dir(setup, args.beta) / "model.pt")


def _evaluate(args):
    cfg = get_config(args.profile, experiment_of(args.profile, "main", args.experiment))
    mean_logits, targets = cached_logits(cfg, device=args.device)
    print(fixed_sweep(mean_logits, targets).to_string(index=False))
    print(alpha_sweep(mean_logits, targets, args.alphas).to_string(index=False))


def _reproduce(args):
    # the notebooks' kernels import torch; their coordinator need not hold it too (~450 MB here): it continues
    # in a fresh interpreter that imports seenn_lib.notebooks alone
    os.execv(sys.executable, [sys.executable, "-m", "seenn_lib.notebooks", args.profile, args.device, str(args.jobs),
                              *(args.only or [])])


def _explorer(args):
    profile_configs(args.profile)  # an unknown profile fails here, not in the browser
    dashboard = explorer_dashboard(BUILD.parent / "explorer" / "16_explorer.ipynb",
                                   {"profile": args.profile, "device": args.device})
    os.execv(sys.executable, [sys.executable, "-m", "voila", str(dashboard), f"--port={args.port}",
                              "--show_tracebacks=True"])


def _gpu_check(args):
    result = gpu_check(args.device, args.only, args.experiment, args.seconds_per_run, not args.skip_tests,
                       not args.skip_bench, args.out)
    print(result["costs"][["table", "experiment", "seconds_per_step", "seconds_per_epoch", "gpu_hours"]]
          .to_string(index=False))
    print(result["tables"].to_string(index=False))
    if result["summary"].get("gpu_tests", {}).get("returncode", 0) not in (0, 5):  # 5: no test ran (none marked)
        sys.exit(1)


def add_gpu_check_parser(sub) -> None:
    g = sub.add_parser("gpu-check", help="GPU tests, both benchmarks and the projected GPU-hours of every paper table")
    g.add_argument("--device", default="cuda", help="cuda (default) or cpu (everything at reduced size)")
    g.add_argument("--only", nargs="+", default=None, metavar="TABLE", help='paper tables, e.g. "SEENN Table 1"')
    g.add_argument("--experiment", nargs="+", default=None, help="training runs of those tables, by name")
    g.add_argument("--seconds-per-run", type=float, default=8.0, help="timing budget of each training run")
    g.add_argument("--skip-tests", action="store_true")
    g.add_argument("--skip-bench", action="store_true")
    g.add_argument("--out", type=Path, default=None, help="output folder (default figures/)")
    g.set_defaults(func=_gpu_check)


def add_bench_parser(sub) -> None:
    """`bench inference`, `bench neurons` and `bench layout` subcommands for seenn_lib.cli."""
    b = sub.add_parser("bench", help="early-exit throughput/energy (SEENN Fig. 3); LIF vs SpikingJelly; memory layouts")
    which = b.add_subparsers(dest="bench", required=True)
    inf = which.add_parser("inference", help="static T_max, T=1, the engine at several α, one-at-a-time")
    inf.add_argument("--profile", default="smoke")
    inf.add_argument("--alphas", type=float, nargs="+", default=[0.7, 0.9, 0.99])
    inf.add_argument("--batch-size", type=int, default=256)
    inf.add_argument("--images", type=int, default=2000)
    inf.add_argument("--resnet", type=resnet_run, nargs="*", default=list(DEFAULT_RESNETS), metavar="W:N:B",
                     help="random ResNet-19 runs as width multiplier:images:batch size "
                          "(default 0.125:1024:64 1:256:32; none to skip)")
    inf.set_defaults(func=inference_command)
    neu = which.add_parser("neurons", help="multi-step LIF forward+backward and a ResNet-19 TET training step")
    neu.add_argument("--resnet-width", type=float, default=0.25)
    neu.add_argument("--batch-size", type=int, default=16)
    neu.set_defaults(func=neurons_command)
    lay = which.add_parser("layout", help="NCHW vs channels_last: a training step and an evaluation per model")
    lay.add_argument("--profile", default="smoke")
    lay.set_defaults(func=layout_command)
    for p in (inf, neu, lay):
        p.add_argument("--device", default="cpu")
        p.add_argument("--rounds", type=int, default=3)
        p.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default build/bench)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m seenn_lib", description=__doc__)
    sub = p.add_subparsers(dest="command", required=True)

    d = sub.add_parser("data", help="make a dataset available under data/ (the stand-ins: made from Fashion-MNIST)")
    d.add_argument("name", help=f"a dataset name, e.g. fashion-mnist, cifar10, {', '.join(STANDINS)}")
    d.add_argument("--root", default=None)
    d.set_defaults(func=_data)

    for name, func, helptext in [("train", _train, "train one experiment of a profile"),
                                 ("evaluate", _evaluate, "per-t accuracy and a SEENN-I alpha sweep")]:
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--profile", default="smoke")
        c.add_argument("--experiment", default="", help="default: the profile's main SEENN-I experiment")
        c.add_argument("--device", default="cpu")
        c.set_defaults(func=func)
    s2 = sub.add_parser("train-seenn2", help="SEENN-II joint fine-tuning of SNN + policy at one beta")
    s2.add_argument("--profile", default="smoke")
    s2.add_argument("--experiment", default="", help="default: the profile's SEENN-II experiment")
    s2.add_argument("--beta", type=float, required=True)
    s2.add_argument("--device", default="cpu")
    s2.set_defaults(func=_train_seenn2)
    sub.choices["evaluate"].add_argument("--alphas", type=float, nargs="+",
                                         default=[0.5, 0.7, 0.8, 0.9, 0.95, 0.99])

    r = sub.add_parser("reproduce", help="run the notebooks with papermill and write figures/REPORT.md")
    r.add_argument("--profile", default="smoke")
    r.add_argument("--only", nargs="*", default=None, help="notebook numbers or names")
    r.add_argument("--device", default="cpu")
    r.add_argument("--jobs", type=int, default=0,
                   help="notebooks run at once (default 0: two on a CPU with >= 2 cores, one on a GPU)")
    r.set_defaults(func=_reproduce)

    e = sub.add_parser("explorer", help="serve notebook 16's sliders as a Voila dashboard")
    e.add_argument("--profile", default="smoke")
    e.add_argument("--device", default="cpu")
    e.add_argument("--port", type=int, default=8866)
    e.set_defaults(func=_explorer)

    add_bench_parser(sub)
    add_gpu_check_parser(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        raise SystemExit(f"error: {err}") from err


if __name__ == "__main__":
    main()
