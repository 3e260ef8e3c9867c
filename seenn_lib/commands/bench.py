"""`python -m seenn_lib bench inference | neurons | layout` and `gpu-check`: run a benchmark (seenn_lib.bench),
print its tables, draw its figure and write both (results.write_outputs)."""
from __future__ import annotations

import sys
from pathlib import Path

from ..bench import (DEFAULT_RESNETS, benchmark_layout, benchmark_neurons, benchmark_training_step,
                     environment_for_run, inference_targets, layout_ratios, run_inference_bench)
from ..bench.gpu_check import gpu_check as run_gpu_check
from ..devices import resolve_device
from ..plots import gpu_hours_per_table, layout_benchmark, neuron_benchmark, throughput_energy
from ..results import figures_dir, save_table, write_outputs

INFERENCE_COLUMNS = ["model", "method", "batch_size", "avg_timesteps", "images_per_s", "fraction_of_ideal",
                     "fraction_of_ideal_speedup", "vs_one_at_a_time", "energy_uj"]


def inference(args) -> list[Path]:
    summary = environment_for_run(args.device)
    resnets = DEFAULT_RESNETS if args.resnet is None else args.resnet
    df = run_inference_bench(args.profile, args.alphas, args.batch_size, args.images, resnets, args.device,
                             args.rounds, spikingjelly=args.model)
    targets = inference_targets(df)
    print(df[INFERENCE_COLUMNS].to_string(index=False))
    print(targets.to_string(index=False))
    fig = throughput_energy(df, f"throughput and energy per method ({args.device})")
    return write_outputs({"results": df, "targets": targets}, summary, fig, "bench_inference", args.out)


def neurons(args) -> list[Path]:
    device = resolve_device(args.device)
    summary = environment_for_run(device)
    shapes = [(4, 32, 128, 16, 16), (8, 32, 128, 16, 16)] + ([(8, 64, 128, 32, 32)] if device.type == "cuda" else [])
    lif = benchmark_neurons(shapes, device, args.rounds)
    step = benchmark_training_step(args.resnet_width, args.batch_size, 4, device, args.rounds)
    print(lif.to_string(index=False))
    print(step.to_string(index=False))
    fig = neuron_benchmark(lif, f"multi-step LIF, forward + backward ({device})")
    return write_outputs({"neurons": lif, "training_step": step}, summary, fig, "bench_neurons", args.out)


def layout(args) -> list[Path]:
    summary = environment_for_run(args.device)
    df = benchmark_layout(args.profile, args.device, args.rounds)
    print(df.to_string(index=False))
    summary["channels_last_vs_nchw_geomean"] = layout_ratios(df)
    fig = layout_benchmark(df, f"channels_last / NCHW time, profile {args.profile} ({args.device})")
    return write_outputs({"results": df}, summary, fig, "bench_layout", args.out)


def gpu_check(args) -> None:
    """Writes to --out (default figures/): gpu_check.csv (one row per training run), gpu_check_tables.csv
    (GPU-hours per paper table), the benchmarks' tables, gpu_check.json and the figure."""
    result = run_gpu_check(args.device, args.only, args.experiment, args.seconds_per_run, not args.skip_tests,
                           not args.skip_bench)
    summary, costs = result.pop("summary"), result.pop("costs")
    out = args.out or figures_dir()
    figure = gpu_hours_per_table(costs, f"projected training cost per paper table ({summary.get('gpu', 'CPU')})")
    write_outputs(result, summary, figure, "gpu_check", out)
    save_table(costs, "gpu_check", out)
    print(costs[["table", "experiment", "seconds_per_step", "seconds_per_epoch", "gpu_hours"]].to_string(index=False))
    print(result["tables"].to_string(index=False))
    if summary.get("gpu_tests", {}).get("returncode", 0) not in (0, 5):  # 5: no test ran (none marked)
        sys.exit(1)
