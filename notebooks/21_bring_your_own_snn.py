# ---
# jupyter:
#   jupytext:
#     formats: py:percent
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # 21 · Bring your own SNN: SEENN-I, the engine, energy and TEAS's activity on a SpikingJelly network
#
# Everything the suite shows for its own models also works for a network it did not build. Here a small
# convolutional SNN is written and trained with SpikingJelly's own tools (`spikingjelly.activation_based`:
# its layers, LIF neurons, surrogate gradient and `functional.reset_net`), briefly, on a Fashion-MNIST
# subset. One line, `seenn_lib.adapters.adapt(model)`, then gives it the interface the library's code takes
# (one step at a time, reset, and dropping exited samples from every neuron's state), and we draw the same
# figures as notebooks 01 (SEENN-I's accuracy against timesteps), 06 (the engine's measured speed-up against
# the static run, energy from measured spikes) and 11 (per-layer activity, TEAS Eq. 2, and the layers most
# sensitive to noise). No claims are judged here: the network is not one of the papers'.

# %% tags=["parameters"]
profile = "smoke"
device = "cpu"
seed = 0
time_steps = 4
train_samples = 6000  # Fashion-MNIST training images drawn from
train_steps = 150  # Adam steps of SpikingJelly's training
train_batch = 32
test_samples = 2000
alphas = [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.99]
bench_alpha = 0.5  # the engine's α in the timing (a small model this briefly trained is rarely very confident)
bench_images = 512  # test images the engine and the static runs are timed on
batch_size = 256
rounds = 2  # timing rounds; each method's fastest round is kept
magnitudes = [0.1, 1.0]  # noise std in units of each layer's firing threshold
eval_samples = 500  # test images of the vulnerable-layer sweep

# %%
import torch
from spikingjelly.activation_based import functional, layer, neuron, surrogate
from torch import nn

from seenn_lib.adapters import adapt
from seenn_lib.analysis.byo import fashion_mnist, train_spikingjelly
from seenn_lib.analysis.teas import activity_per_sample, layer_vulnerability
from seenn_lib.bench import benchmark_inference, inference_targets
from seenn_lib.data import make_loader
from seenn_lib.energy import count_ops, summarize_ops
from seenn_lib.exits import alpha_sweep, fixed_sweep
from seenn_lib.inference import ConfidenceExit
from seenn_lib.layers import repeat_time
from seenn_lib.logits import collect_logits
from seenn_lib.metrics import aet, correct_per_t
from seenn_lib.plots import accuracy_vs_timesteps, throughput_energy, vulnerable_layers
from seenn_lib.results import save_figure, save_table

# %% [markdown]
# ## A network written with SpikingJelly, trained with SpikingJelly

# %%
torch.manual_seed(seed)
lif = {"tau": 2.0, "surrogate_function": surrogate.ATan(), "detach_reset": True}
model = nn.Sequential(
    layer.Conv2d(1, 8, 3, padding=1, bias=False), layer.BatchNorm2d(8), neuron.LIFNode(**lif), layer.MaxPool2d(2),
    layer.Conv2d(8, 16, 3, padding=1, bias=False), layer.BatchNorm2d(16), neuron.LIFNode(**lif), layer.MaxPool2d(2),
    layer.Flatten(), layer.Linear(16 * 7 * 7, 64), neuron.LIFNode(**lif), layer.Linear(64, 10))
functional.set_step_mode(model, "m")  # [T, B, ...] in, [T, B, 10] out

train_ds, test_ds = fashion_mnist(train_samples, test_samples)
model, losses = train_spikingjelly(model, train_ds, time_steps, train_steps, train_batch, device=device, seed=seed)
print(f"{train_steps} steps, loss {losses[0]:.2f} -> {sum(losses[-20:]) / len(losses[-20:]):.2f} (last 20)")

# %% [markdown]
# ## One line: the adapter

# %%
snn = adapt(model)
print(f"{type(snn).__name__}: step mode {snn.step_mode!r}, {len(snn.neurons())} spiking layers")

# %% [markdown]
# ## SEENN-I: accuracy against timesteps (as notebook 01)
#
# The per-timestep logits f_t(x) of every test image, once; the static SNN at each T, AET, and SEENN-I's
# sweep of the confidence threshold α are computed from them.

# %%
mean_logits, targets = collect_logits(snn, test_ds, time_steps, device, progress=False)
fixed = fixed_sweep(mean_logits, targets)
aet_value = aet(correct_per_t(mean_logits, targets))
fixed["aet"] = aet_value
sweep = alpha_sweep(mean_logits, targets, alphas)
save_table(fixed, "21_accuracy_per_t")
save_table(sweep, "21_seenn1_alpha_sweep")
fig = accuracy_vs_timesteps(fixed, aet_value, sweep, title=f"SpikingJelly CNN · Fashion-MNIST (profile {profile})")
save_figure(fig, "21_accuracy_vs_timesteps")
sweep

# %% [markdown]
# ## The engine's measured speed-up against the static run, and energy (as notebook 06)
#
# The engine steps the adapted network one timestep at a time, drops exited images from every SpikingJelly
# neuron's state and refills their slots. The ideal speed-up over the static T_max run is T_max / T̄.

# %%
x, y = next(iter(make_loader(test_ds, bench_images, shuffle=False)))
bench = benchmark_inference(snn, x, time_steps, {f"α={bench_alpha:g}": ConfidenceExit(bench_alpha)}, batch_size,
                            device, rounds, one_image=False, label=f"SpikingJelly CNN ({profile})", target=y,
                            progress=False, memory=False)
save_table(bench, "21_throughput_energy")
fig = throughput_energy(bench, f"SpikingJelly CNN ({profile}, {device}, batch {batch_size})")
save_figure(fig, "21_throughput_energy")
bench[["method", "avg_timesteps", "accuracy", "images_per_s", "speedup_vs_static", "ideal_speedup",
       "fraction_of_ideal_speedup", "energy_uj"]]

# %%
targets_table = inference_targets(bench)
save_table(targets_table, "21_targets")
targets_table

# %% [markdown]
# ## Energy per layer of the static run, from the spikes that arrive (SEENN App. D)
#
# The first layer encodes the image (MACs); every other weight layer adds one weight per incoming spike per
# outgoing synapse (SOPs), counted from what SpikingJelly's LIF neurons emitted.

# %%
ops = count_ops(snn, repeat_time(x[:256].to(device), time_steps))
save_table(ops, "21_energy")
print({k: f"{v:.3g}" for k, v in summarize_ops(ops).items()})
ops

# %% [markdown]
# ## Which of its layers are vulnerable? Activity (TEAS Eq. 2) and noise per layer (as notebook 11)

# %%
eval_ds = fashion_mnist(0, eval_samples)[1]
per_sample = activity_per_sample(snn, time_steps, eval_ds, device)
save_table(per_sample, "21_activity_per_sample")
vuln, corr = layer_vulnerability(snn, time_steps, eval_ds, magnitudes, "eq2", device, seed=seed)
save_table(vuln, "21_vulnerable_layers")
save_table(corr, "21_rank_correlation")
fig = vulnerable_layers(vuln, "activity", title=f"SpikingJelly CNN · T = {time_steps} (profile {profile})")
save_figure(fig, "21_vulnerable_layers")
vuln[["layer", "name", "neurons", "activity", "noise", "accuracy_clean", "accuracy_noisy", "accuracy_drop"]]
