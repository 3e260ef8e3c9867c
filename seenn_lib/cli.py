"""`python -m seenn_lib ...`: data, train, train-seenn2, evaluate, reproduce, explorer, bench, gpu-check.

This module only parses the command line: each subcommand names its handler as "module:function" of
seenn_lib.commands, imported once that subcommand is chosen, so start-up loads nothing a subcommand does not
need (`--help` loads neither torch nor matplotlib)."""
from __future__ import annotations

import argparse
import importlib
from pathlib import Path

# the datasets `data` knows (seenn_lib.data.list_datasets(); tests/test_cli.py keeps the two equal)
DATASETS = ("fashion-mnist", "cifar10", "cifar100", "imagenet", "cifar10_dvs", "standin-cifar10", "standin-imagenet",
            "standin-cifar10-dvs")
BENCH_OUT = Path("build") / "bench"


def resnet_run(text: str) -> tuple[float, int, int]:
    """argparse type for --resnet WIDTH:IMAGES:BATCH."""
    try:
        width, n_images, batch = text.split(":")
        run = float(width), int(n_images), int(batch)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not WIDTH:IMAGES:BATCH, e.g. 0.125:1024:64") from None
    if not (run[0] > 0 and run[1] > 0 and run[2] > 0):
        raise argparse.ArgumentTypeError(f"{text!r}: width, images and batch size must be > 0")
    return run


def model_run(text: str) -> tuple[str, int, int]:
    """argparse type for --model spikingjelly:NAME[:IMAGES:BATCH] (defaults 1024 images, batch 64)."""
    source, _, rest = text.partition(":")
    name, *sizes = rest.split(":")
    if source != "spikingjelly" or not name or len(sizes) not in (0, 2) or not all(s.isdigit() and int(s) > 0
                                                                                 for s in sizes):
        raise argparse.ArgumentTypeError(f"{text!r} is not spikingjelly:NAME[:IMAGES:BATCH], e.g. "
                                         "spikingjelly:spiking_resnet18:1024:64")
    images, batch = map(int, sizes) if sizes else (1024, 64)
    return name, images, batch


def add_experiment_parsers(sub) -> None:
    for name, handler, helptext in [("train", "models:train_experiment", "train one experiment of a profile"),
                                    ("evaluate", "models:evaluate", "per-t accuracy and a SEENN-I alpha sweep")]:
        c = sub.add_parser(name, help=helptext)
        c.add_argument("--profile", default="smoke")
        c.add_argument("--experiment", default="", help="default: the profile's main SEENN-I experiment")
        c.add_argument("--device", default="cpu")
        c.set_defaults(handler=handler)
    sub.choices["evaluate"].add_argument("--alphas", type=float, nargs="+", default=[0.5, 0.7, 0.8, 0.9, 0.95, 0.99])
    s2 = sub.add_parser("train-seenn2", help="SEENN-II joint fine-tuning of SNN + policy at one beta")
    s2.add_argument("--profile", default="smoke")
    s2.add_argument("--experiment", default="", help="default: the profile's SEENN-II experiment")
    s2.add_argument("--beta", type=float, required=True)
    s2.add_argument("--device", default="cpu")
    s2.set_defaults(handler="models:train_seenn2_experiment")


def add_suite_parsers(sub) -> None:
    r = sub.add_parser("reproduce", help="run the notebooks with papermill and write figures/REPORT.md")
    r.add_argument("--profile", default="smoke")
    r.add_argument("--only", nargs="*", default=None, help="notebook numbers or names")
    r.add_argument("--device", default="cpu")
    r.add_argument("--jobs", type=int, default=0,
                   help="notebooks run at once (default 0: two on a CPU with >= 2 cores, one on a GPU)")
    r.add_argument("--seeds", type=int, nargs="+", default=[0],
                   help="train every model once per seed; a ledger per seed and one combined (default: 0)")
    # --dry-run swaps the handler, so a plain run's coordinator imports nothing of the dry run (torch among it)
    r.add_argument("--dry-run", action="store_const", dest="handler", const="dry_run:reproduce",
                   default="suite:reproduce",
                   help="the paper profile's code path, a few steps and inputs each, on stand-ins (build/dry-run/)")
    r.add_argument("--data-root", type=Path, default=None,
                   help="with --dry-run: where the stand-ins go, in the real datasets' layouts (default "
                        "build/dry-run/data; a folder holding a real dataset is refused)")
    r.add_argument("--skip-budget", action="store_true", help="with --dry-run: skip timing every training run")
    e = sub.add_parser("explorer", help="serve notebook 16's sliders as a Voila dashboard")
    e.add_argument("--profile", default="smoke")
    e.add_argument("--device", default="cpu")
    e.add_argument("--port", type=int, default=8866)
    e.set_defaults(handler="suite:explorer")


def add_bench_parser(sub) -> None:
    """`bench inference`, `bench neurons` and `bench layout`."""
    b = sub.add_parser("bench", help="early-exit throughput/energy (SEENN Fig. 3); LIF vs SpikingJelly; memory layouts")
    which = b.add_subparsers(dest="bench", required=True)
    inf = which.add_parser("inference", help="static T_max, T=1, the engine at several α, one-at-a-time")
    inf.add_argument("--profile", default="smoke")
    inf.add_argument("--alphas", type=float, nargs="+", default=[0.7, 0.9, 0.99])
    inf.add_argument("--batch-size", type=int, default=256)
    inf.add_argument("--images", type=int, default=2000)
    inf.add_argument("--resnet", type=resnet_run, nargs="*", default=None, metavar="W:N:B",
                     help="random ResNet-19 runs as width multiplier:images:batch size "
                          "(default 0.125:1024:64 1:256:32; none to skip)")
    inf.add_argument("--model", type=model_run, nargs="*", default=[], metavar="spikingjelly:NAME[:N:B]",
                     help="also a random SpikingJelly model (spiking_resnet18 | sew_resnet18, 32x32 inputs, adapted) "
                          "under the forced plan, e.g. spikingjelly:spiking_resnet18:1024:64")
    inf.set_defaults(handler="bench:inference")
    neu = which.add_parser("neurons", help="multi-step LIF forward+backward and a ResNet-19 TET training step")
    neu.add_argument("--resnet-width", type=float, default=0.25)
    neu.add_argument("--batch-size", type=int, default=16)
    neu.set_defaults(handler="bench:neurons")
    lay = which.add_parser("layout", help="NCHW vs channels_last: a training step and an evaluation per model")
    lay.add_argument("--profile", default="smoke")
    lay.set_defaults(handler="bench:layout")
    for p in (inf, neu, lay):
        p.add_argument("--device", default="cpu")
        p.add_argument("--rounds", type=int, default=3)
        p.add_argument("--out", type=Path, default=BENCH_OUT, help=f"output folder (default {BENCH_OUT})")


def add_gpu_check_parser(sub) -> None:
    g = sub.add_parser("gpu-check", help="GPU tests, both benchmarks and the projected GPU-hours of every paper table")
    g.add_argument("--device", default="cuda", help="cuda (default) or cpu (everything at reduced size)")
    g.add_argument("--only", nargs="+", default=None, metavar="TABLE", help='paper tables, e.g. "SEENN Table 1"')
    g.add_argument("--experiment", nargs="+", default=None, help="training runs of those tables, by name")
    g.add_argument("--seconds-per-run", type=float, default=8.0, help="timing budget of each training run")
    g.add_argument("--skip-tests", action="store_true")
    g.add_argument("--skip-bench", action="store_true")
    g.add_argument("--out", type=Path, default=None, help="output folder (default figures/)")
    g.set_defaults(handler="bench:gpu_check")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m seenn_lib", description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    d = sub.add_parser("data", help="make a dataset available under data/ (the stand-ins: made from Fashion-MNIST)")
    d.add_argument("name", help=f"a dataset name: {', '.join(DATASETS)}")
    d.add_argument("--root", default=None)
    d.set_defaults(handler="data:data")
    add_experiment_parsers(sub)
    add_suite_parsers(sub)
    add_bench_parser(sub)
    add_gpu_check_parser(sub)
    return p


def main(argv: list[str] | None = None) -> None:
    args = build_parser().parse_args(argv)
    module, function = args.handler.split(":")
    handler = getattr(importlib.import_module(f"seenn_lib.commands.{module}"), function)
    try:
        handler(args)
    except (ValueError, FileNotFoundError, RuntimeError) as err:
        raise SystemExit(f"error: {err}") from err


if __name__ == "__main__":
    main()
