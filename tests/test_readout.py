"""SEENN Eq. 3, f_t = (1/t)·Σ_{i≤t} h(x_i): by hand, and the whole-sequence and one-step-at-a-time paths agree."""
import torch

from seenn_lib.readout import add_step, mean_so_far, running_mean


def test_running_mean_by_hand():
    outputs = torch.tensor([[[2.0, 0.0]], [[4.0, 3.0]], [[0.0, 3.0]]])  # [T=3, B=1, C=2]
    expected = torch.tensor([[[2.0, 0.0]], [[3.0, 1.5]], [[2.0, 2.0]]])
    assert torch.equal(running_mean(outputs), expected)


def test_step_path_equals_whole_sequence_to_rounding():
    """The engine's path (a float32 sum, one step at a time) and the cached logits' (cumsum, which on a CPU
    accumulates in float64) agree to float32 rounding; exits and predictions are compared in test_inference."""
    torch.manual_seed(0)
    outputs = torch.randn(6, 5, 7)
    total, steps = None, []
    for t, out in enumerate(outputs, start=1):
        total = add_step(total, out)
        steps.append(mean_so_far(total, t))
    torch.testing.assert_close(torch.stack(steps), running_mean(outputs), rtol=1e-6, atol=1e-6)
    assert not torch.allclose(torch.stack(steps)[1:], running_mean(outputs)[:-1])  # the steps are not shifted


def test_each_sample_at_its_own_timestep():
    total = torch.tensor([[6.0, 3.0], [6.0, 3.0]])
    assert torch.equal(mean_so_far(total, torch.tensor([3, 1])), torch.tensor([[2.0, 1.0], [6.0, 3.0]]))


def test_bf16_steps_add_up_in_fp32():
    total = add_step(None, torch.ones(2, 3, dtype=torch.bfloat16))
    assert total.dtype == torch.float32
    assert add_step(total, torch.full((2, 3), 1e-3, dtype=torch.bfloat16)).dtype == torch.float32
