"""Where place() puts models in channels_last, and that the layout changes nothing but speed."""
import copy

import pytest
import torch

from seenn_lib.devices import channels_last_safe, place
from seenn_lib.layers import repeat_time
from seenn_lib.models import create_model
from seenn_lib.train import tet_loss

CPU = torch.device("cpu")


def _is_channels_last(model) -> bool:
    convs = [m for m in model.modules() if isinstance(m, torch.nn.Conv2d)]
    return all(c.weight.is_contiguous(memory_format=torch.channels_last) for c in convs)


# the narrowest strided 1x1 conv of each: none; 4 (ResNet-20 at 1/4 width); 16 (ResNet-19 at 1/8); 8 (ResNet-34
# at 1/8, ImageNet stem)
MODELS = {"smoke_cnn": ("smoke_cnn", {"width": 8}, 1), "resnet20/4": ("resnet20", {"width_mult": 0.25}, 3),
          "resnet19/8": ("resnet19", {"width_mult": 0.125}, 3), "resnet34/8": ("resnet34", {"width_mult": 0.125}, 3)}


@pytest.mark.parametrize("isa,expected", [
    ("AVX2", {"smoke_cnn": True, "resnet20/4": False, "resnet19/8": True, "resnet34/8": True}),
    ("AVX512", {"smoke_cnn": True, "resnet20/4": False, "resnet19/8": True, "resnet34/8": False}),
    ("NEON", {"smoke_cnn": False, "resnet20/4": False, "resnet19/8": False, "resnet34/8": False}),
])
def test_channels_last_only_where_onednn_handles_every_strided_1x1_conv(monkeypatch, isa, expected):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: isa)
    for key, (name, kw, channels) in MODELS.items():
        model = create_model(name, in_channels=channels, **kw)
        assert channels_last_safe(model, CPU) is expected[key], key
        assert channels_last_safe(model, torch.device("cuda")) is True  # no device needed: a decision only
    assert channels_last_safe(torch.nn.Linear(3, 2), torch.device("cuda")) is False


def test_place_leaves_an_unsafe_model_in_nchw(monkeypatch):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    model = place(create_model("resnet20", width_mult=0.25), CPU)
    assert all(p.is_contiguous() for p in model.parameters())


@pytest.mark.parametrize("neuron", ["lif", "relu"])
def test_channels_last_gives_the_nchw_outputs_and_gradients(monkeypatch, neuron):
    """Evaluation-mode BN (fixed statistics), so only the convolution algorithms differ: float round-off."""
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    torch.manual_seed(0)
    nchw = create_model("resnet19", width_mult=0.125, neuron=neuron).eval()
    nhwc = place(copy.deepcopy(nchw), CPU)
    assert _is_channels_last(nhwc) and not _is_channels_last(nchw)
    x, y = repeat_time(torch.randn(8, 3, 32, 32), 2), torch.randint(0, 10, (8,))
    outs = [model(x) for model in (nchw, nhwc)]
    torch.testing.assert_close(outs[1], outs[0], atol=1e-4, rtol=1e-4)
    for model, out in zip((nchw, nhwc), outs):
        tet_loss(out, y).backward()
    for (name, a), b in zip(nchw.named_parameters(), nhwc.parameters()):
        torch.testing.assert_close(b.grad, a.grad, atol=1e-5, rtol=1e-3, msg=name)


def test_place_honours_a_models_nchw_preference_and_converts_back(monkeypatch):
    """TEAS's TemporalAdaptiveNet prefers NCHW; placing it returns an SNN that place() had made channels_last."""
    from seenn_lib.teas.network import TemporalAdaptiveNet
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    snn = place(create_model("smoke_cnn", in_channels=1, width=8), CPU)
    assert _is_channels_last(snn)
    place(TemporalAdaptiveNet(snn, [4, 2, 2]), CPU)
    assert all(p.is_contiguous() for p in snn.parameters())


def test_data_parallel_cpu_ranks_keep_nchw(monkeypatch):
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: "AVX2")
    model = create_model("smoke_cnn", in_channels=1, width=8)
    assert channels_last_safe(model, CPU)
    monkeypatch.setattr(torch.distributed, "is_initialized", lambda: True)
    assert not channels_last_safe(model, CPU)
