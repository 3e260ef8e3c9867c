"""The quantities behind TEAS's claims (notebooks 11, 12, 13): each function takes a notebook's results and returns
{claim_id: Estimate}; seenn_lib.claims.judge turns them into verdicts. Accuracies and energies are paired
bootstraps over the test inputs (seenn_lib.resampling, seeded by the run's seed); the allocation's rank
statistics are exact within one training run, where only the training seed varies them."""
from __future__ import annotations

import pandas as pd
import torch

from ..claims import Estimate, exact
from ..config import run_seed
from ..resampling import RESAMPLES, bootstrap_weights, from_rows, spearman_rows, weighted_mean
from ..teas.activity import VulnerabilitySweep, rank_correlation
from ..teas.network import activity_measure

PAPER_NOISE = 0.1  # TEAS §3.1, Fig. 3: the noise magnitude u (units of V_th) the paper's claim is made at
DECIMALS = 12  # accuracy drops are rounded so that layers with equal counts of flipped inputs tie exactly
ONE_RUN = ("exact within one training run (a deterministic allocation): only the training seed varies it "
           "(reproduce --seeds)")


def _bootstrap(n: int, resamples: int, seed: int | None) -> tuple[torch.Tensor, str]:
    weights = bootstrap_weights(n, resamples, run_seed() if seed is None else seed)
    return weights, f"{resamples:,} resamples"


def vulnerability_estimates(sweep: VulnerabilitySweep, measure: str, resamples: int = RESAMPLES,
                            seed: int | None = None) -> dict[float, Estimate]:
    """Per noise magnitude u of a vulnerability sweep: the Spearman rank correlation over layers of a layer's
    activity (activity_measure `measure`) and the accuracy that noise there costs, each layer's activity and
    drop taken over the same resampled test inputs (paired bootstrap; NaN where the drops all tie)."""
    weights, count = _bootstrap(len(sweep.clean), resamples, seed)
    activity = activity_measure(weighted_mean(weights, sweep.activity.T), sweep.neurons.double(), measure)
    source = (f"paired bootstrap over the {len(sweep.clean):,} test inputs behind each layer's activity and "
              f"accuracy drop, {count}")
    estimates = {}
    for u, noisy in zip(sweep.magnitudes, sweep.noisy):
        drop = weighted_mean(weights, sweep.clean.double() - noisy.double()).mul(100).round(decimals=DECIMALS)
        estimates[u] = from_rows(spearman_rows(activity, drop), source)
    return estimates


def vulnerability_evidence(estimates: dict[float, Estimate]) -> dict[str, Estimate]:
    """Notebook 11 (TEAS Fig. 3): TEAS-01 at the paper's noise level u = 0.1 only (NaN: not testable here when
    the sweep did not run it); other magnitudes are sensitivity rows (sensitivity_table), not claims."""
    return {"TEAS-01": estimates.get(PAPER_NOISE, exact(float("nan")))}


def vulnerability_note(sweep: VulnerabilitySweep) -> str:
    """The ledger note of TEAS-01: the clean accuracy and how many test inputs noise at u = 0.1 on each layer
    costs (net of those it puts right): few lost inputs leave the layers' ranking to chance."""
    clean = f"clean accuracy {sweep.clean.double().mean().item() * 100:.2f} % on {len(sweep.clean):,} inputs"
    if PAPER_NOISE not in sweep.magnitudes:
        return f"{clean}; the sweep did not run u = {PAPER_NOISE:g}"
    noisy = sweep.noisy[sweep.magnitudes.index(PAPER_NOISE)]
    lost = ", ".join(str(int(k)) for k in sweep.clean.sum() - noisy.sum(-1))
    return f"{clean}; inputs lost per layer at u = {PAPER_NOISE:g}: {lost}"


def sensitivity_table(estimates: dict[float, Estimate]) -> pd.DataFrame:
    """One row per noise magnitude: the rank correlation, its 95 % interval and standard error, and whether the
    ledger judges it (the paper's u only)."""
    return pd.DataFrame([{"noise": u, "spearman_activity_vs_accuracy_drop": e.point, "ci_low": e.interval()[0],
                          "ci_high": e.interval()[1], "se": e.se(), "judged": u == PAPER_NOISE}
                         for u, e in estimates.items()])


def activity_weighted_t(activity, time_steps) -> float:
    """Σ_l #Act(l)·T_l / Σ_l #Act(l) over the plain mean T_l: above 1 when the timesteps sit on the active layers."""
    a, t = torch.as_tensor(activity, dtype=torch.float64), torch.as_tensor(time_steps, dtype=torch.float64)
    return float((a * t).sum() / a.sum() / t.mean())


def teas_evidence(main: dict, unregularised: dict, resamples: int = RESAMPLES, seed: int | None = None
                  ) -> dict[str, Estimate]:
    """Notebook 12 (TEAS Table 2, Fig. 5-7) from a TEAS run (pipelines.run_teas: summary, layers, history and
    which test inputs each network got right) and the same run without the regulariser (λ = 0). The accuracy
    differences are paired over the run's test inputs; TEAS-07 compares the last retraining epoch with the first
    (history epoch 1; epoch 0 is the allocation before retraining), NaN with fewer than two retraining epochs."""
    summary, layers, right = main["summary"].iloc[0], main["layers"], main["correct"]
    weights, count = _bootstrap(len(right["snn"]), resamples, seed)
    source = f"paired bootstrap over the {len(right['snn']):,} test inputs of both networks, {count}"

    def gain(better: torch.Tensor, worse: torch.Tensor) -> Estimate:
        return from_rows(weighted_mean(weights, better.double() - worse.double()) * 100, source)
    epochs = right["epochs"]
    regularised = {name: activity_weighted_t(run["layers"].activity_initial, run["layers"].T_final)
                   for name, run in {"with": main, "without": unregularised}.items()}
    return {"TEAS-02": Estimate(summary.original_T / summary.reduced_T, source=ONE_RUN),
            "TEAS-03": gain(right["snn"], epochs[-1]),
            "TEAS-04": Estimate(rank_correlation(layers.activity_initial, layers.T_final), source=ONE_RUN),
            "TEAS-05": gain(epochs[-1], right["without_retraining"]),
            "TEAS-06": Estimate(regularised["with"] - regularised["without"], source=ONE_RUN),
            "TEAS-07": gain(epochs[-1], epochs[1]) if len(epochs) > 2 else exact(float("nan"))}


def energy_evidence(per_batch: pd.DataFrame, resamples: int = RESAMPLES, seed: int | None = None
                    ) -> dict[str, Estimate]:
    """Notebook 13 (TEAS Fig. 8) from analysis.teas.energy_per_batch (networks in the order ANN, SNN, TEAS):
    ratios of mean energies per inference over the same resampled batches of test images (paired bootstrap)."""
    energy = [torch.tensor((g.energy_pj * g.images).to_numpy(), dtype=torch.float64)
              for _, g in per_batch.sort_values("batch").groupby("network", sort=False)]
    weights, count = _bootstrap(len(energy[0]), resamples, seed)
    ann, snn, teas = (weighted_mean(weights, e) for e in energy)
    images = per_batch.images[per_batch.network == per_batch.network.iloc[0]]
    source = (f"paired bootstrap over the {len(energy[0])} batches of test images counted ({images.sum():,} "
              f"images, {images.max()} a batch), {count}")
    return {"TEAS-08": from_rows(snn / ann, source), "TEAS-09": from_rows(teas / snn, source)}
