"""The quantities behind SEENN's claims on the engine, the policy and SEENN-II (notebooks 06, 08, 09): each
function takes a notebook's results and returns {claim_id: our quantity}; seenn_lib.claims.judge turns them
into verdicts."""
from __future__ import annotations

import pandas as pd
import torch

from ..energy import count_ops, summarize_ops
from ..models import create_model
from ..teas.activity import rank_correlation


def speed_energy_evidence(engine: pd.Series, static: pd.Series) -> dict[str, float]:
    """Notebook 06 (SEENN Fig. 3): benchmark rows (images_per_s, energy_uj, ideal_speedup) of the early-exit
    engine and of the static SNN at T_max."""
    measured = engine.images_per_s / static.images_per_s
    return {"SEENN-13": measured / engine.ideal_speedup, "SEENN-14": engine.energy_uj / static.energy_uj}


def macs_share(policy: str, snn: str, image_size: int = 32, in_channels: int = 3, num_classes: int = 10) -> float:
    """Dense MACs of one pass of the registry model `policy` (built as a ReLU network) over those of `snn`, on one
    image: the architecture-level quantity behind the paper's 0.547 % (ResNet-8 vs ResNet-19, App. E)."""
    x = torch.zeros(1, 1, in_channels, image_size, image_size)
    macs = [summarize_ops(count_ops(create_model(name, num_classes, **kw).eval(), x))["macs_per_step"]
            for name, kw in [(policy, {"neuron": "relu"}), (snn, {})]]
    return macs[0] / macs[1]


def seenn2_evidence(sweep: pd.DataFrame, static_accuracy: float, t_max: int, policy_ops_share: float
                    ) -> dict[str, float]:
    """Notebook 08 from the β sweep (beta, accuracy, avg_timesteps, gap_vs_seenn1_warmup), the static SNN's
    accuracy at its T_max and a policy's share of its SNN's dense MACs (a fraction)."""
    kept = sweep[sweep.accuracy >= static_accuracy - 0.5]
    return {"SEENN-06": float(sweep.gap_vs_seenn1_warmup.max()),
            "SEENN-07": (rank_correlation(sweep.beta, sweep.avg_timesteps) if len(sweep) > 1 else float("nan")),
            "SEENN-08": policy_ops_share * 100,
            "SEENN-20": float(kept.avg_timesteps.min() / t_max) if len(kept) else float("nan")}


def difficulty_evidence(bins: pd.DataFrame) -> dict[str, float]:
    """Notebook 09 (SEENN Fig. 5) from analysis.seenn2.difficulty_bins (easiest bin first): SEENN-18."""
    return {"SEENN-18": float(bins.accuracy_first_t.iloc[0] - bins.accuracy_first_t.iloc[-1])}


def difficulty_standard_error(bins: pd.DataFrame) -> float:
    """The sampling error (points, one standard error) of SEENN-18's difference: the two bins' first-timestep
    accuracies as independent binomial proportions, sqrt(p1 (1 - p1) / n1 + p2 (1 - p2) / n2)."""
    ends = bins.iloc[[0, -1]]
    p = ends.accuracy_first_t / 100
    return float(((p * (1 - p) / ends.samples).sum()) ** 0.5 * 100)
