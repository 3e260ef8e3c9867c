"""Benchmarks: realised early-exit speed and energy (SEENN Fig. 3), and the LIF kernel against SpikingJelly.

`python -m seenn_lib bench inference` / `... bench neurons` / `... bench layout` write a tidy CSV, a JSON of
the headline ratios and a seaborn figure. Every method of one benchmark is timed in the same process,
on the same device, model and data, in interleaved rounds (the fastest round of each), so ratios hold even
on a busy machine; absolute numbers on a shared CPU are noisy.

timing: what they share (timing, memory, environment, outputs); inference: the early-exit benchmark;
neurons: the LIF vs SpikingJelly benchmark; layout: NCHW vs channels_last. The command line is in seenn_lib.cli.
"""
from .inference import (DEFAULT_RESNETS, add_ratios, benchmark_inference, engine_energy, inference_command,
                        inference_targets, method_job, peak_memory_mb, quantile_plan, resnet19_setup, resnet_run,
                        run_inference_bench, smoke_setup)
from .layout import benchmark_layout, layout_command
from .neurons import (benchmark_neurons, benchmark_training_step, neuron_implementations, neurons_command,
                      spikingjelly_lif)
from .timing import (DEFAULT_OUT, PeakTensorMemory, environment, environment_for_run, interleaved_seconds,
                     steady_cpu_allocator, write_outputs)

__all__ = [
    "DEFAULT_OUT", "DEFAULT_RESNETS", "add_ratios", "benchmark_inference", "benchmark_layout", "benchmark_neurons",
    "benchmark_training_step", "engine_energy", "environment", "environment_for_run", "inference_command",
    "inference_targets", "interleaved_seconds", "layout_command", "method_job", "neuron_implementations",
    "neurons_command", "peak_memory_mb", "PeakTensorMemory", "quantile_plan", "resnet19_setup", "resnet_run",
    "run_inference_bench", "smoke_setup", "spikingjelly_lif", "steady_cpu_allocator", "write_outputs",
]
