import pytest
import torch

import math
import subprocess
import sys

from seenn_lib.exits import alpha_sweep, calibrate_alpha, confidence, confidence_exit, fixed_exit
from seenn_lib.certified import alpha_risks
from seenn_lib.explorer_state import ExplorerState
from seenn_lib.widgets import SLIDER_ALPHAS, Run
from test_calibration import synthetic_logits
from seenn_lib.metrics import aet, empirical_aet, exit_distribution, policy_summary


def test_paper_example_aet_vs_empirical():
    correct = torch.tensor([[False], [True], [False], [True]])
    assert aet(correct) == pytest.approx(3.0)
    assert empirical_aet(correct) == pytest.approx(2.0)


def test_aet_by_hand_under_assumption():
    # 4 samples, T = 3: correct from t=1, from t=2, from t=3, never.
    correct = torch.tensor([[1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0]], dtype=torch.bool)
    # (|C1| + T|W| + 2(|C2|-|C1|) + 3(|C3|-|C2|)) / N = (1 + 3 + 2 + 3) / 4
    assert aet(correct) == pytest.approx(9 / 4)
    assert empirical_aet(correct) == pytest.approx((1 + 2 + 3 + 3) / 4)


def test_confidence_exit_by_hand():
    # T=3, N=3, C=2. confidences: sample0 high at t=1, sample1 at t=2, sample2 never.
    logits = torch.tensor([
        [[3.0, 0.0], [0.0, 0.5], [0.1, 0.0]],
        [[3.0, 0.0], [0.0, 3.0], [0.0, 0.1]],
        [[3.0, 0.0], [0.0, 3.0], [0.2, 0.0]],
    ])
    exit_t, pred = confidence_exit(logits, alpha=0.9)
    assert exit_t.tolist() == [1, 2, 3]
    assert pred.tolist() == [0, 1, 0]
    # alpha = 1 is reachable only by numerical saturation: everything runs to T_max except sample 0? no,
    # softmax([3,0]) = 0.9526 < 1, so all exit at T_max.
    exit_t, pred = confidence_exit(logits, alpha=1.0)
    assert exit_t.tolist() == [3, 3, 3]
    target = torch.tensor([0, 1, 1])
    s = policy_summary(*confidence_exit(logits, 0.9), target)
    assert s["accuracy"] == pytest.approx(200 / 3) and s["avg_timesteps"] == pytest.approx(2.0)


def test_fixed_exit_and_sweep_monotone_in_alpha():
    torch.manual_seed(0)
    logits = torch.randn(4, 200, 5).cumsum(0)
    target = torch.randint(0, 5, (200,))
    sweep = alpha_sweep(logits, target, [0.3, 0.5, 0.7, 0.9, 0.99])
    assert sweep.avg_timesteps.is_monotonic_increasing
    exit_t, pred = fixed_exit(logits, 2)
    assert (exit_t == 2).all() and torch.equal(pred, logits[1].argmax(-1))


def test_exit_distribution_sums_to_one():
    dist = exit_distribution(torch.tensor([1, 1, 2, 4]), 4)
    assert dist.fraction.tolist() == [0.5, 0.25, 0.0, 0.25]


@pytest.mark.parametrize("alpha", [0.0, -0.1, 1.01])
def test_bad_alpha_is_rejected(alpha):
    with pytest.raises(ValueError, match="alpha must lie in"):
        confidence_exit(torch.zeros(2, 3, 4), alpha)


def test_bad_shapes_are_rejected():
    with pytest.raises(ValueError, match=r"\[T, N, C\]"):
        confidence_exit(torch.zeros(3, 4), 0.9)
    with pytest.raises(ValueError, match=r"\[T, N\]"):
        aet(torch.zeros(5, dtype=torch.bool))


def _sigmoid(z):
    return 1 / (1 + math.exp(-z))


def test_confidence_scores_by_hand():
    """Two classes, f_t = [0.5, 0] at t = 1, 2, 3. mean (Eq. 5): σ(0.5) at every t; sum (official
    test_snn.py): softmax of t·f_t, σ(0.5 t); entropy (official default): 1 − H(p) / log 2."""
    mean_logits = torch.tensor([[[0.5, 0.0]]] * 3)
    p = _sigmoid(0.5)
    entropy = 1 + (p * math.log(p) + (1 - p) * math.log(1 - p)) / math.log(2)
    assert confidence(mean_logits).flatten().tolist() == pytest.approx([p] * 3)
    assert confidence(mean_logits, "sum").flatten().tolist() == pytest.approx([_sigmoid(0.5 * t) for t in (1, 2, 3)])
    assert confidence(mean_logits, "entropy").flatten().tolist() == pytest.approx([entropy] * 3, abs=1e-6)
    # at alpha 0.7 only the summed outputs (σ(1) = 0.73 at t = 2) are confident before T_max
    assert confidence_exit(mean_logits, 0.7)[0].item() == 3
    assert confidence_exit(mean_logits, 0.7, "sum")[0].item() == 2
    assert confidence_exit(mean_logits, 0.7, "entropy")[0].item() == 3
    with pytest.raises(ValueError, match="confidence score must be one of"):
        confidence(mean_logits, "margin")


def test_sweeps_calibration_and_explorer_honour_the_score():
    mean_logits, target = synthetic_logits(n=4000)
    mean, summed = (alpha_sweep(mean_logits, target, [0.5, 0.7, 0.9], s) for s in ("mean", "sum"))
    # t·f_t sharpens the softmax, so the summed score exits no later at every α, and earlier somewhere
    assert (summed.avg_timesteps <= mean.avg_timesteps).all() and (summed.avg_timesteps < mean.avg_timesteps).any()
    alphas = {s: calibrate_alpha(mean_logits, target, 0.05, 0.1, score=s) for s in ("mean", "entropy")}
    assert alphas["mean"] != alphas["entropy"]
    for s, a in alphas.items():  # certified on this split: its own empirical degradation is below ε
        assert alpha_risks(mean_logits, target, [a], s).degradation.item() < 0.05
    run = Run(mean_logits, target, score="entropy")
    assert not torch.equal(run.alpha_table()[0], Run(mean_logits, target).alpha_table()[0])
    assert torch.equal(run.alpha_table()[0][-1], confidence_exit(mean_logits, SLIDER_ALPHAS[-1], "entropy")[0])


def test_explorer_state_answers_for_the_selection_without_a_display():
    mean_logits, target = synthetic_logits(n=2000)
    policy = (torch.full_like(target, 2), mean_logits[1].argmax(-1))
    state = ExplorerState({"direct": Run(mean_logits, target)}, {"seenn2": {0.5: Run(mean_logits, target, policy)}})
    assert state.label == "direct" and state.betas() == []
    state.alpha = 0.5
    early = state.summary()
    state.alpha = 0.904  # between slider positions: the nearest, 0.90, decides
    assert state.summary()["avg_timesteps"] > early["avg_timesteps"]  # a larger α keeps inputs running longer
    slider_alpha = SLIDER_ALPHAS[abs(SLIDER_ALPHAS - 0.9).argmin()]
    assert torch.equal(state.decisions()[0], confidence_exit(mean_logits, slider_alpha)[0])
    state.label, state.beta, state.seenn2 = "seenn2", 0.5, True
    assert state.betas() == [0.5] and state.summary()["avg_timesteps"] == 2
    assert state.exit_composition().set_index("t").fraction.to_dict() == {1: 0, 2: 1, 3: 0, 4: 0}


def test_explorer_state_certifies_an_alpha_on_the_slider_or_says_why_not():
    mean_logits, target = synthetic_logits(n=2000)
    state = ExplorerState({"direct": Run(mean_logits, target)}, epsilon=0.05, delta=0.1)
    certificate = state.certify()
    assert certificate["alpha"] == state.certified_alpha and certificate["calibrated_on"] == 1000
    slider = state.certified_slider_alpha()
    assert slider in SLIDER_ALPHAS and state.certified_alpha - 1e-9 <= slider < state.certified_alpha + 0.01
    state.epsilon = state.delta = 0.001  # 1000 calibration samples cannot certify so tight a budget
    with pytest.raises(ValueError, match="no alpha can be certified"):
        state.certify()
    assert state.certified_alpha is None and state.certified_slider_alpha() is None


def test_explorer_state_loads_no_display_library():
    probe = ("import sys\nimport seenn_lib.explorer_state\n"
             "print(sorted(m for m in ('ipywidgets', 'matplotlib', 'seaborn') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
