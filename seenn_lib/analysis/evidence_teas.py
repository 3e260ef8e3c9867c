"""The quantities behind TEAS's claims (notebooks 12, 13): each function takes a notebook's results and returns
{claim_id: our quantity}; seenn_lib.claims.judge turns them into verdicts."""
from __future__ import annotations

import pandas as pd

from ..teas.activity import rank_correlation


def teas_evidence(summary: pd.Series, layers: pd.DataFrame, unregularised: pd.DataFrame,
                  history: pd.DataFrame) -> dict[str, float]:
    """Notebook 12 (TEAS Table 2, Fig. 5-7) from a TEAS run's summary row, its per-layer table (activity at the
    start, final T_l), the per-layer table of the same run without the regulariser, and its history (epoch,
    accuracy; epoch 0 is the initial allocation before retraining)."""
    follows = {name: rank_correlation(t.activity_initial, t.T_final) for name, t in
               {"with": layers, "without": unregularised}.items()}
    epochs = history.sort_values("epoch").accuracy
    return {"TEAS-02": summary.original_T / summary.reduced_T,
            "TEAS-03": summary.snn_accuracy - summary.reduced_accuracy,
            "TEAS-04": summary.rank_corr_activity_T,
            "TEAS-05": summary.reduced_accuracy - summary.without_retraining_accuracy,
            "TEAS-06": follows["with"] - follows["without"],
            "TEAS-07": float(epochs.iloc[-1] - epochs.iloc[0])}


def energy_evidence(ann: float, snn: float, teas: float) -> dict[str, float]:
    """Notebook 13 (TEAS Fig. 8) from the three networks' energies."""
    return {"TEAS-08": snn / ann, "TEAS-09": teas / snn}
