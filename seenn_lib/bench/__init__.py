"""Benchmarks: realised early-exit speed and energy (SEENN Fig. 3), and the LIF kernel against SpikingJelly.

Each measures and returns tidy tables; the command line (`python -m seenn_lib bench inference | neurons |
layout`, seenn_lib.commands.bench) writes them as CSV, a JSON of the headline ratios and a seaborn figure.
Every method of one benchmark is timed in the same process, on the same device, model and data, in
interleaved rounds (the fastest round of each), so ratios hold even on a busy machine; absolute numbers on a
shared CPU are noisy.

timing: what they share (timing, memory, environment); inference: the early-exit benchmark; neurons: the LIF
vs SpikingJelly benchmark; layout: NCHW vs channels_last; gpu_check: the GPU check and cost projection.
"""
from .inference import (DEFAULT_RESNETS, SPIKINGJELLY_MODELS, add_ratios, benchmark_inference, engine_energy,
                        firing_batchnorm, inference_targets, method_job, peak_memory_mb, quantile_plan, resnet19_setup,
                        run_inference_bench, smoke_setup, speedup_rounds, spikingjelly_setup)
from .layout import benchmark_layout, layout_ratios
from .neurons import benchmark_neurons, benchmark_training_step, neuron_implementations, spikingjelly_lif
from .timing import (PeakTensorMemory, environment, environment_for_run, interleaved_seconds,
                     interleaved_times, steady_cpu_allocator)

__all__ = [
    "DEFAULT_RESNETS", "SPIKINGJELLY_MODELS", "add_ratios", "benchmark_inference", "benchmark_layout",
    "benchmark_neurons", "benchmark_training_step", "engine_energy", "environment", "environment_for_run",
    "firing_batchnorm", "inference_targets", "interleaved_seconds", "interleaved_times", "layout_ratios", "method_job",
    "neuron_implementations", "peak_memory_mb", "PeakTensorMemory", "quantile_plan", "resnet19_setup",
    "run_inference_bench", "smoke_setup", "speedup_rounds", "spikingjelly_lif", "spikingjelly_setup",
    "steady_cpu_allocator",
]
