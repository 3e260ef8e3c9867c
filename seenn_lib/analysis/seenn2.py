"""SEENN-II analyses for notebooks 08-09: the β sweep against SEENN-I at equal average timesteps, easy and hard
inputs as the policy sees them (SEENN Fig. 5), and the policy's cost next to the SNN's."""
from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Iterable, Sequence

import numpy as np
import pandas as pd
import torch
from torch import nn
from tqdm.auto import tqdm

from ..data import dataset_spec
from ..devices import resolve_device
from ..energy import count_ops, summarize_ops
from ..exits import alpha_decisions, alpha_grid, alpha_sweep
from ..layers import repeat_time
from ..metrics import policy_summary
from ..pipelines import seenn2_outputs
from ..policy import PolicyNet
from ..seenn2 import Seenn2Setup, policy_exit


def accuracy_at_timesteps(curve: pd.DataFrame, avg_timesteps: float) -> float:
    """Accuracy of an (avg_timesteps, accuracy) curve at a given average T, linearly interpolated
    (the best accuracy where several points share an average T); NaN outside the curve's range."""
    pts = curve.groupby("avg_timesteps", as_index=False)["accuracy"].max()
    x, y = pts["avg_timesteps"].to_numpy(), pts["accuracy"].to_numpy()
    if not x[0] <= avg_timesteps <= x[-1]:
        return float("nan")
    return float(np.interp(avg_timesteps, x, y))


def beta_sweep(setup: Seenn2Setup, betas: Sequence[float], alphas: Sequence[float] | None = None,
               device="cpu", progress: bool = True) -> pd.DataFrame:
    """Tidy table, one row per beta: SEENN-II accuracy (%), average timesteps, share exiting at each
    action, and SEENN-I (alpha sweep, default exits.alpha_grid()) on the same fine-tuned SNN read at the same
    average T."""
    alphas = alpha_grid() if alphas is None else alphas
    rows = []
    for beta in tqdm(betas, desc="beta sweep", disable=not progress):
        out = seenn2_outputs(setup, beta, device, progress)
        exit_t, pred = policy_exit(out["policy_logits"], out["mean_logits"], setup.actions)
        row = {"beta": float(beta), **policy_summary(exit_t, pred, out["targets"])}
        row |= {f"share_t{t}": float((exit_t == t).double().mean()) for t in setup.actions}
        same_snn = alpha_sweep(out["mean_logits"], out["targets"], alphas)
        row["seenn1_same_snn_accuracy"] = accuracy_at_timesteps(same_snn, row["avg_timesteps"])
        rows.append(row)
    return pd.DataFrame(rows)


@dataclass(frozen=True)
class SweepDecisions:
    """The per-input decisions of a β sweep, which every bootstrap resample of notebook 08's claims reweights
    (seenn_lib.resampling): per β the policy's exit_t and correctness [K, N]; SEENN-I on the same fine-tuned
    SNN for every α of `alphas` [K, A, N]; the static warm-up SNN's correctness at T_max [N]."""
    betas: tuple[float, ...]
    actions: tuple[int, ...]
    alphas: tuple[float, ...]
    exit_t: torch.Tensor
    correct: torch.Tensor
    seenn1_exit_t: torch.Tensor
    seenn1_correct: torch.Tensor
    static_correct: torch.Tensor


def sweep_decisions(setup: Seenn2Setup, betas: Sequence[float], warmup_logits: torch.Tensor,
                    warmup_targets: torch.Tensor, alphas: Sequence[float] | None = None, device="cpu",
                    progress: bool = True) -> SweepDecisions:
    """SweepDecisions of the jointly fine-tuned SNN + policy at each β (fine-tuned first if not cached), with
    SEENN-I's decisions (alphas: default exits.alpha_grid()) on each β's SNN and the warm-up SNN's at T_max
    (warmup_logits [T, N, C], on the same test inputs in the same order)."""
    alphas = tuple(float(a) for a in (alpha_grid() if alphas is None else alphas))
    tables = {name: [] for name in ("exit_t", "correct", "seenn1_exit_t", "seenn1_correct")}
    for beta in betas:
        out = seenn2_outputs(setup, beta, device, progress)
        if not torch.equal(out["targets"], warmup_targets):
            raise ValueError(f"the SEENN-II outputs at β = {beta} and the warm-up SNN's logits cover different "
                             "test inputs; a paired comparison needs the same inputs in the same order")
        exit_t, pred = policy_exit(out["policy_logits"], out["mean_logits"], setup.actions)
        seenn1_exit, seenn1_pred = alpha_decisions(out["mean_logits"], alphas)
        for name, value in zip(tables, (exit_t, pred == out["targets"], seenn1_exit,
                                        seenn1_pred == out["targets"])):
            tables[name].append(value)
    static_correct = warmup_logits[-1].argmax(-1) == warmup_targets
    return SweepDecisions(tuple(float(b) for b in betas), setup.actions, alphas,
                          **{name: torch.stack(v) for name, v in tables.items()}, static_correct=static_correct)


def versus_seenn1(seenn2: pd.DataFrame, curve: pd.DataFrame, name: str = "seenn1") -> pd.DataFrame:
    """SEENN-II's sweep with a SEENN-I alpha curve's accuracy at the same average T, and the gap."""
    df = seenn2.copy()
    df[f"{name}_accuracy"] = [accuracy_at_timesteps(curve, t) for t in df["avg_timesteps"]]
    df[f"gap_vs_{name}"] = df["accuracy"] - df[f"{name}_accuracy"]
    return df


# ---- easy / hard samples (SEENN Fig. 5) -----------------------------------------------------------

# index -> name of the classes shown per dataset: the paper's six ImageNet classes (standard 1k indices);
# for Fashion-MNIST, tops that look alike (hard) beside distinct shapes (easy)
FIG5_CLASSES: dict[str, dict[int, str]] = {
    "imagenet": {950: "orange", 943: "cucumber", 971: "bubble", 937: "broccoli", 403: "aircraft carrier",
                 862: "torch"},
    "fashion-mnist": {0: "T-shirt/top", 2: "Pullover", 4: "Coat", 6: "Shirt", 7: "Sneaker", 8: "Bag"},
}


def fig5_classes(dataset: str) -> dict[int, str]:
    """The classes to show for a dataset: FIG5_CLASSES, else its first six class indices."""
    return FIG5_CLASSES.get(dataset) or {c: str(c) for c in range(min(6, dataset_spec(dataset).num_classes))}


def expected_timesteps(policy_logits: torch.Tensor, actions: Sequence[int]) -> torch.Tensor:
    """[N] E_v[t] = sum_k v_k t_k: the policy's graded view of how hard each input is."""
    return policy_logits.double().softmax(-1) @ torch.tensor(actions, dtype=torch.float64)


def easy_hard_samples(policy_logits: torch.Tensor, targets: torch.Tensor, classes: Iterable[int],
                      actions: Sequence[int], per_group: int = 6) -> pd.DataFrame:
    """For each class, up to `per_group` test indices the policy sends to the class's earliest timestep, lowest
    E_v[t] first (easy), and to its latest, highest E_v[t] first (hard). Where the policy sends a whole class
    to one t, the two groups are the two ends of its E_v[t] ranking. Tidy: class, group, t, expected_t, index."""
    expected = expected_timesteps(policy_logits, actions)
    exit_t = torch.tensor(actions)[policy_logits.argmax(-1)]
    rows = []
    for c in classes:
        in_class = targets == c
        if not in_class.any():
            continue
        class_t = exit_t[in_class]
        for group, t, hardest_first in (("easy", int(class_t.min()), False), ("hard", int(class_t.max()), True)):
            idx = torch.nonzero(in_class & (exit_t == t)).flatten()
            idx = idx[expected[idx].argsort(descending=hardest_first)][:per_group]
            rows += [{"class": int(c), "group": group, "t": t, "expected_t": float(expected[i]), "index": int(i)}
                     for i in idx]
    return pd.DataFrame(rows, columns=["class", "group", "t", "expected_t", "index"])


def difficulty_bins(policy_logits: torch.Tensor, mean_logits: torch.Tensor, targets: torch.Tensor,
                    actions: Sequence[int], bins: int = 5) -> pd.DataFrame:
    """Test inputs in `bins` equal-size bins of the policy's E_v[t], easiest first: the SNN's accuracy (%)
    at the earliest action and at T_max in each. A policy that sees difficulty gives rising gains."""
    order = expected_timesteps(policy_logits, actions).argsort(stable=True)
    correct = (mean_logits.argmax(-1) == targets.unsqueeze(0)).double() * 100
    rows = []
    for b, idx in enumerate(order.tensor_split(bins)):
        first, last = correct[actions[0] - 1, idx].mean().item(), correct[-1, idx].mean().item()
        rows.append({"bin": b + 1, "samples": len(idx),
                     "expected_t": float(expected_timesteps(policy_logits[idx], actions).mean()),
                     "accuracy_first_t": first, "accuracy_t_max": last, "gain": last - first})
    return pd.DataFrame(rows)


def exit_by_class(exit_t: torch.Tensor, pred: torch.Tensor, targets: torch.Tensor,
                  classes: dict[int, str]) -> pd.DataFrame:
    """Per chosen class: samples, SEENN-II accuracy (%), average timesteps and share sent to t = 1."""
    rows = []
    for c, name in classes.items():
        mask = targets == c
        if mask.any():
            rows.append({"class": c, "name": name, "samples": int(mask.sum()),
                         **policy_summary(exit_t[mask], pred[mask], targets[mask]),
                         "share_t1": float((exit_t[mask] == 1).double().mean())})
    return pd.DataFrame(rows)


# ---- cost of the policy next to the SNN's ----------------------------------------------------------


def _ms_per_batch(fn, repeats: int) -> float:
    with torch.no_grad():
        fn()  # warm-up
        start = time.perf_counter()
        for _ in range(repeats):
            fn()
    return (time.perf_counter() - start) / repeats * 1000


def policy_cost(snn: nn.Module, policy: PolicyNet, x: torch.Tensor, time_steps: int, device="cpu",
                repeats: int = 3) -> pd.DataFrame:
    """The policy (one pass) next to the SNN (time_steps steps) on a batch x: parameters, MACs, SOPs and
    energy per sample (seenn_lib.energy's model), wall time per batch, and each one's share of the SNN's;
    dense_ops_vs_snn compares the layers' MACs of one pass (spikes or not), as the paper's 0.547% does."""
    device = resolve_device(device)
    snn, policy, x = snn.to(device).eval(), policy.to(device).eval(), x.to(device)
    sync = torch.cuda.synchronize if device.type == "cuda" else (lambda: None)
    runs = [("policy", policy.backbone, policy.prepare(x).unsqueeze(0), lambda: (policy(x), sync())),
            (f"snn (T={time_steps})", snn, repeat_time(x, time_steps),
             lambda: (snn(repeat_time(x, time_steps)), sync()))]
    rows = [{"network": name, **summarize_ops(count_ops(net, x_seq)), "ms_per_batch": _ms_per_batch(fn, repeats),
             "batch": len(x), "device": device.type} for name, net, x_seq, fn in runs]
    df = pd.DataFrame(rows)
    df["dense_ops_vs_snn"] = df["macs_per_step"] / df["macs_per_step"].iloc[-1]  # the paper's 0.547%
    df["energy_vs_snn"] = df["energy_pj"] / df["energy_pj"].iloc[-1]
    df["time_vs_snn"] = df["ms_per_batch"] / df["ms_per_batch"].iloc[-1]
    return df
