import math

import pytest
import torch

from seenn_lib.config import LOSS_NAMES
from seenn_lib.layers import repeat_time
from seenn_lib.models import create_model, list_models
from seenn_lib.train import LOSSES, running_mean_loss, tet_loss, tet_mse_loss


def _multi_vs_single(model, x, time_steps):
    model.eval()
    with torch.no_grad():
        multi = model(repeat_time(x, time_steps))
        model.reset()
        single = torch.stack([model.step(x) for _ in range(time_steps)])
    return multi, single


@pytest.mark.parametrize("name,kw,shape", [
    ("smoke_cnn", {"in_channels": 1, "width": 8}, (3, 1, 28, 28)),
    ("resnet19", {"width_mult": 0.125}, (2, 3, 32, 32)),
])
def test_multi_step_equals_single_step(name, kw, shape):
    torch.manual_seed(0)
    model = create_model(name, num_classes=10, **kw)
    for m in model.modules():  # non-trivial BN statistics so neurons actually fire and reset
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(1.0, 2.0)
            m.bias.data.uniform_(0.0, 0.5)
    x = torch.randn(*shape) * 2
    multi, single = _multi_vs_single(model, x, 4)
    assert multi.shape == (4, shape[0], 10)
    assert torch.allclose(multi, single, atol=1e-5)
    assert not torch.allclose(multi[0], multi[-1])  # the state matters: outputs change over time
    with torch.no_grad():  # the evaluation path, from a state left dirty by a half-finished run
        model.step(x[:1])
        assert torch.allclose(model.forward_stepwise(repeat_time(x, 4)), multi, atol=1e-5)


def test_keep_drops_samples_from_every_neuron():
    torch.manual_seed(1)
    model = create_model("smoke_cnn", in_channels=1, width=8).eval()
    x = torch.randn(4, 1, 28, 28)
    with torch.no_grad():
        full = model(repeat_time(x, 3))
        model.reset()
        model.step(x)
        keep = torch.tensor([False, True, False, True])
        model.keep(keep)
        out = [model.step(x[keep]) for _ in range(2)]
    assert torch.allclose(torch.stack(out), full[1:, keep], atol=1e-5)


def test_resnet19_matches_table6():
    model = create_model("resnet19", num_classes=10)
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d) and m.kernel_size == (3, 3)]
    assert convs[0].out_channels == 128 and convs[0].stride == (1, 1)
    widths = [c.out_channels for c in convs[1:]]
    assert widths == [128] * 6 + [256] * 6 + [512] * 4  # 3 + 3 + 2 basic blocks, 2 convs each
    assert model.fc.in_features == 512
    assert len(convs) == 17  # 17 3x3 convs + the FC: the 18 weight layers of ResNet-19 (shortcuts aside)
    out = model.eval()(repeat_time(torch.randn(1, 3, 32, 32), 2))
    assert out.shape == (2, 1, 10)


def test_registry_errors():
    assert "resnet19" in list_models()
    with pytest.raises(ValueError, match="unknown model 'resnet1000'"):
        create_model("resnet1000")


def test_tet_loss_is_mean_of_per_step_cross_entropy():
    torch.manual_seed(0)
    out = torch.randn(3, 5, 4)
    y = torch.randint(0, 4, (5,))
    by_hand = sum(torch.nn.functional.cross_entropy(out[t], y) for t in range(3)) / 3
    assert torch.allclose(tet_loss(out, y), by_hand)


def test_official_loss_options_by_hand():
    """h(x_1) = [1, 0], h(x_2) = [0, 1], label 0. TET + MSE (λ = 1e-3, φ = 1): the squared distances to 1 are
    0, 1, 1, 0. Eq. 11 literally: f_1 = [1, 0], f_2 = [0.5, 0.5]."""
    out, y = torch.tensor([[[1.0, 0.0]], [[0.0, 1.0]]]), torch.tensor([0])
    tet = (math.log(1 + math.exp(-1)) + math.log(1 + math.exp(1))) / 2
    assert tet_loss(out, y).item() == pytest.approx(tet)
    assert tet_mse_loss(out, y).item() == pytest.approx((1 - 1e-3) * tet + 1e-3 * 0.5)
    assert running_mean_loss(out, y).item() == pytest.approx((math.log(1 + math.exp(-1)) + math.log(2)) / 2)
    assert set(LOSSES) == set(LOSS_NAMES)
