"""Conversion analyses for notebook 03 (SEENN Tables 2-3): the average timesteps SEENN-I needs to match QCFS at
the paper's comparison T, and our rows beside the paper's."""
from __future__ import annotations

import pandas as pd
import torch
from torch import nn

from ..config import TrainConfig, conversion_match_t
from ..conversion import with_levels
from ..data import to_time_first
from ..energy import forward_hooks
from ..exits import alpha_grid, alpha_sweep
from ..qcfs import QCFS
from ..results import paper_reference

PAPER_NAMES = {"cifar10": "CIFAR-10", "cifar100": "CIFAR-100", "imagenet": "ImageNet",
               "resnet18": "ResNet-18", "resnet34": "ResNet-34"}


def timesteps_to_match(sweep: pd.DataFrame, accuracy: float) -> float:
    """The fewest average timesteps of an α sweep whose accuracy is at least `accuracy` (NaN if none is)."""
    reached = sweep[sweep.accuracy >= accuracy]
    return reached.avg_timesteps.min() if len(reached) else float("nan")


def seenn1_matches_qcfs(results: dict[str, dict]) -> pd.DataFrame:
    """Per converted experiment (results[name]: cfg, logits, targets, fixed sweep, exit_t_max): the fewest
    average timesteps at which SEENN-I, over the dense α grid, reaches QCFS's accuracy at the match T."""
    rows = []
    for name, r in results.items():
        t = conversion_match_t(r["cfg"])
        target = r["fixed"].loc[r["fixed"]["T"] == t, "accuracy"].item()
        dense = alpha_sweep(r["logits"][:r["exit_t_max"]], r["targets"], alpha_grid())
        needed = timesteps_to_match(dense, target)
        rows.append({"experiment": name, "match_T": t, "qcfs_accuracy": target, "seenn1_t_max": r["exit_t_max"],
                     "seenn1_avg_timesteps": needed, "fraction_of_T": needed / t,
                     "at_most_half": bool(needed <= t / 2)})
    return pd.DataFrame(rows)


@torch.no_grad()
def _active_share(model: nn.Module, kinds: tuple[type, ...], x_seq: torch.Tensor) -> dict[str, float]:
    """Per submodule of `kinds`: the share of its outputs that are > 0 on `x_seq`."""
    names = {m: n for n, m in model.named_modules()}
    shares = {}

    def hook(module, inputs, out):
        shares[names[module]] = (out > 0).float().mean().item()

    with forward_hooks(model.eval(), kinds, hook):
        model(x_seq)
    return shares


def first_step_coverage(ann: nn.Module, images: torch.Tensor) -> pd.DataFrame:
    """Per QCFS layer of a registry QCFS ANN on a batch of `images`: its λ, the share of units the ANN activates
    (QCFS output > 0, i.e. x >= λ / 2L) and the share of neurons its converted SNN fires at t = 1, and their
    ratio. The SNN's first step is the ANN with one quantisation level (conversion.with_levels(ann, 1), an exact
    second path), so this runs no SNN. From λ/2 an IF neuron fires at t = 1 only where its input reaches λ/2, so
    a λ far above the pre-activations leaves the first timestep with little of the ANN, and SEENN-I with few
    confident exits at t = 1 (SEENN-09)."""
    x_seq = to_time_first(images, 1)
    thresholds = {n: m.threshold.item() for n, m in ann.named_modules() if isinstance(m, QCFS)}
    active = _active_share(ann, (QCFS,), x_seq)
    fired = _active_share(with_levels(ann, 1), (QCFS,), x_seq)
    table = pd.DataFrame({"layer": list(thresholds), "threshold": list(thresholds.values()),
                          "ann_active": [active[n] for n in thresholds],
                          "snn_fired_t1": [fired[n] for n in thresholds]})
    return table.assign(ratio=table.snn_fired_t1 / table.ann_active)


def reference_for(cfg: TrainConfig, papers_data: bool) -> tuple[pd.DataFrame, bool]:
    """The paper's QCFS and SEENN-I rows for cfg's model and data (matched = True); where the profile does
    not run the papers' data, or the paper has no QCFS row (ResNet-20), those of CIFAR-10 ResNet-18."""
    table = "SEENN Table 3" if cfg.dataset == "imagenet" else "SEENN Table 2"
    ref = paper_reference(table=table, dataset=PAPER_NAMES.get(cfg.dataset), model=PAPER_NAMES.get(cfg.model),
                          training="conversion")
    matched = papers_data and (ref.method == "QCFS").any()
    if not matched:
        ref = paper_reference(table="SEENN Table 2", dataset="CIFAR-10", model="ResNet-18", training="conversion")
    return ref, matched


def _paper_fraction(qcfs: pd.DataFrame, seenn: pd.DataFrame) -> tuple[int, float]:
    """(the paper's match T, the fraction of it SEENN-I needs to reach QCFS there, from the paper's rows)."""
    paper_t = 32 if (qcfs.dataset == "ImageNet").any() else 8
    target = qcfs.loc[qcfs.timesteps == paper_t, "accuracy"].item()
    return paper_t, seenn.loc[seenn.accuracy >= target, "timesteps"].min() / paper_t


def versus_paper_rows(results: dict[str, dict], matches: pd.DataFrame, papers_data: bool) -> list[dict]:
    """Rows {quantity, ours, paper, note} of every converted experiment beside the paper's Table 2/3."""
    rows = []
    for (name, r), m in zip(results.items(), matches.itertuples()):
        ref, matched = reference_for(r["cfg"], papers_data)
        if papers_data and not matched:
            rows.append({"quantity": f"{name} · SEENN-I avg T to match QCFS at T={m.match_T}, as a fraction of T",
                         "ours": m.fraction_of_T, "paper": None, "note": "the paper has no QCFS row for this model"})
            continue
        label = f"{name} vs {ref.dataset.iloc[0]} {ref.model.iloc[0]}"
        qcfs, seenn = ref[ref.method == "QCFS"], ref[ref.method == "SEENN-I"].reset_index(drop=True)
        fixed = r["fixed"].set_index("T")
        rows += [{"quantity": f"{label} · QCFS accuracy at T={int(row.timesteps)}",
                  "ours": fixed.accuracy[int(row.timesteps)], "paper": row.accuracy, "note": ""}
                 for row in qcfs.itertuples() if int(row.timesteps) in fixed.index]
        ours = r["table"][r["table"].method == "SEENN-I"].reset_index(drop=True)
        for i, row in seenn.iterrows():
            if i < len(ours):
                rows.append({"quantity": f"{label} · SEENN-I accuracy (α={ours.alpha[i]:g})",
                             "ours": ours.accuracy[i], "paper": row.accuracy, "note": ""})
                rows.append({"quantity": f"{label} · SEENN-I avg timesteps (α={ours.alpha[i]:g})",
                             "ours": ours.avg_timesteps[i], "paper": row.timesteps, "note": ""})
        paper_t, paper_fraction = _paper_fraction(qcfs, seenn)
        rows.append({"quantity": f"{label} · SEENN-I avg T to match QCFS at T={m.match_T}, as a fraction of T",
                     "ours": m.fraction_of_T, "paper": paper_fraction,
                     "note": f"paper: QCFS at T={paper_t}"})
    return rows
