"""Paper-scale models: SEENN Table 6 ResNets, ImageNet ResNet-34 / SEW-ResNet-34, VGG-16, VGGSNN."""
import pytest
import torch
import torchvision
from torch import nn

from seenn_lib.layers import repeat_time
from seenn_lib.models import create_model
from seenn_lib.neurons import SpikingNeuron


def _excite_batchnorm(model):
    """Non-trivial BN statistics (and larger FC weights) so neurons actually fire and reset."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.2, 0.2)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(1.0, 2.0)
            m.bias.data.uniform_(0.0, 0.5)
        elif isinstance(m, nn.Linear):  # hidden FC layers (VGG-16) must reach the threshold too
            m.weight.data.mul_(8.0)


def _convs3x3(model):
    return [m for m in model.modules() if isinstance(m, nn.Conv2d) and m.kernel_size == (3, 3)]


@pytest.mark.parametrize("name,kw,shape", [
    ("resnet8", {"width_mult": 0.5}, (2, 3, 16, 16)),
    ("resnet18", {"width_mult": 0.0625}, (2, 3, 16, 16)),
    ("resnet20", {"width_mult": 0.5}, (2, 3, 16, 16)),
    ("resnet34", {"width_mult": 0.0625}, (2, 3, 16, 16)),
    ("sew_resnet34", {"width_mult": 0.0625}, (2, 3, 16, 16)),
    ("vgg16", {"width_mult": 0.0625}, (2, 3, 32, 32)),
    ("vggsnn", {"width_mult": 0.0625, "in_channels": 2}, (2, 2, 48, 48)),
])
def test_multi_step_equals_single_step(name, kw, shape):
    torch.manual_seed(0)
    model = create_model(name, num_classes=10, **kw)
    _excite_batchnorm(model)
    model.eval()
    x = torch.randn(*shape) * 2
    with torch.no_grad():
        multi = model(repeat_time(x, 3))
        model.reset()
        single = torch.stack([model.step(x) for _ in range(3)])
        model.reset()
        model.step(x)
        model.keep(torch.tensor([False, True]))
        kept = torch.stack([model.step(x[1:]) for _ in range(2)])
    assert multi.shape == (3, shape[0], 10)
    assert torch.allclose(multi, single, atol=1e-4)
    assert torch.allclose(kept, multi[1:, 1:], atol=1e-4)
    assert not torch.allclose(multi[0], multi[-1])


@pytest.mark.parametrize("name,stem,widths,fc_in", [
    # SEENN Table 6: 3x3 convs after the stem (2 per basic block) and the FC width
    ("resnet8", 16, [16] * 2 + [32] * 2 + [64] * 2, 64),
    ("resnet18", 64, [64] * 4 + [128] * 4 + [256] * 4 + [512] * 4, 512),
    ("resnet20", 16, [16] * 4 + [32] * 4 + [64] * 4, 64),
])
def test_cifar_resnets_match_table6(name, stem, widths, fc_in):
    model = create_model(name, num_classes=100)
    convs = _convs3x3(model)
    assert convs[0].out_channels == stem and convs[0].stride == (1, 1)
    assert [c.out_channels for c in convs[1:]] == widths
    # '*': the first block of every stage after the first halves the resolution
    strided = [i for i, c in enumerate(convs[1:]) if c.stride == (2, 2)]
    firsts = [i for i in range(1, len(widths)) if widths[i] != widths[i - 1]]
    assert strided == firsts
    assert model.fc.in_features == fc_in and model.fc.out_features == 100
    assert model.eval()(repeat_time(torch.randn(1, 3, 32, 32), 1)).shape == (1, 1, 100)


def test_resnet34_has_torchvision_topology():
    """Same parameter count as torchvision's ResNet-34 (an independent implementation of the topology)."""
    with torch.device("meta"):  # shapes only: no memory, no initialisation
        ours = create_model("resnet34", num_classes=1000, neuron="relu")
        ref = torchvision.models.resnet34()
    assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in ref.parameters())
    assert [len(list(s)) for s in (ref.layer1, ref.layer2, ref.layer3, ref.layer4)] == [3, 4, 6, 3]
    assert len(ours.blocks) == 16
    stem = ours.stem[0][0]
    assert stem.kernel_size == (7, 7) and stem.stride == (2, 2)


def test_sew_resnet34_adds_spikes_without_a_neuron_after_the_sum():
    torch.manual_seed(0)
    model = create_model("sew_resnet34", num_classes=10, width_mult=0.125)
    _excite_batchnorm(model)
    block = model.blocks[0]
    assert isinstance(block.branch[-1], SpikingNeuron)
    assert isinstance(model.blocks[3].shortcut[-1], SpikingNeuron)  # downsampling shortcut: conv-BN-neuron
    seen = []
    block.register_forward_hook(lambda m, i, o: seen.append(o))
    with torch.no_grad():
        model.eval()(repeat_time(torch.randn(2, 3, 64, 64) * 2, 2))
    values = seen[0].unique()
    assert set(values.tolist()) <= {0.0, 1.0, 2.0} and 2.0 in values  # spike counts, not spikes


def test_vgg16_variants_and_vggsnn_layers():
    cifar = create_model("vgg16", num_classes=10, width_mult=0.25)
    with torch.device("meta"):
        imagenet = create_model("vgg16_imagenet", num_classes=1000, neuron="relu")
        ref = torchvision.models.vgg16_bn()
    assert len(_convs3x3(cifar)) == 13 and cifar.classifier[1].in_features == 128  # 512 * 0.25 at 1x1
    assert imagenet.classifier[1].in_features == 512 * 7 * 7
    # torchvision's VGG-16-BN minus its 13 conv biases (ours feed BN, which has its own shift)
    conv_biases = sum(c.out_channels for c in _convs3x3(imagenet))
    assert sum(p.numel() for p in imagenet.parameters()) == sum(p.numel() for p in ref.parameters()) - conv_biases
    with torch.device("meta"):
        snn = create_model("vggsnn", num_classes=10)
    assert [c.out_channels for c in _convs3x3(snn)] == [64, 128, 256, 256, 512, 512, 512, 512]
    assert _convs3x3(snn)[0].in_channels == 2 and snn.fc.in_features == 512 * 3 * 3
    assert sum(isinstance(m, nn.AvgPool2d) for m in snn.modules()) == 4


@pytest.mark.parametrize("name", ["resnet8", "resnet20", "vgg16", "vggsnn", "sew_resnet34"])
def test_ann_twin_has_the_same_weights_and_no_neurons(name):
    snn = create_model(name, num_classes=10, width_mult=0.125)
    ann = create_model(name, num_classes=10, width_mult=0.125, neuron="relu")
    assert [tuple(p.shape) for p in snn.parameters()] == [tuple(p.shape) for p in ann.parameters()]
    assert not any(isinstance(m, SpikingNeuron) for m in ann.modules())
    assert any(isinstance(m, nn.ReLU) for m in ann.modules())


def test_too_small_input_is_refused():
    with pytest.raises(ValueError, match="too small"):
        create_model("vggsnn", image_size=8)


def _conv(c_in, c_out, k):
    return c_in * c_out * k * k


def _bn(c):
    return 2 * c


def _params(model):
    return sum(p.numel() for p in model.parameters())


@pytest.mark.parametrize("shortcut", ["conv", "avgpool"])
def test_resnet19_shortcut_switch_keeps_shapes_and_parameter_count(shortcut):
    """Table 6 ResNet-19 by hand: stem, 3 + 3 + 2 basic blocks, two projections (128->256, 256->512), FC. A
    projection is a 1x1 conv + BN either way (the official one average-pools first), so the counts agree."""
    with torch.device("meta"):
        model = create_model("resnet19", num_classes=10, shortcut=shortcut)
    by_hand = (_conv(3, 128, 3) + _bn(128) + 6 * (_conv(128, 128, 3) + _bn(128))
               + _conv(128, 256, 3) + 5 * _conv(256, 256, 3) + 6 * _bn(256) + _conv(128, 256, 1) + _bn(256)
               + _conv(256, 512, 3) + 3 * _conv(512, 512, 3) + 4 * _bn(512) + _conv(256, 512, 1) + _bn(512)
               + 512 * 10 + 10)
    assert _params(model) == by_hand == 12_569_226
    small = create_model("resnet19", num_classes=10, shortcut=shortcut, width_mult=0.125).eval()
    assert small(repeat_time(torch.randn(2, 3, 32, 32), 2)).shape == (2, 2, 10)
    block = small.blocks[3]  # first block of stage 2: 16 -> 32 channels, stride 2
    assert block.shortcut(torch.randn(2, 16, 32, 32)).shape == block.conv1(torch.randn(2, 16, 32, 32)).shape \
        == (2, 32, 16, 16)
    assert isinstance(small.blocks[0].shortcut, nn.Identity)


def test_avgpool_shortcut_is_avgpool_then_conv_then_bn():
    torch.manual_seed(0)
    model = create_model("resnet19", num_classes=10, shortcut="avgpool", width_mult=0.125)
    _excite_batchnorm(model)
    model.eval()
    x = torch.randn(3, 16, 8, 8)
    with torch.no_grad():
        ours = model.blocks[3].shortcut(x)
        pooled = x.view(3, 16, 4, 2, 4, 2).mean(dim=(3, 5))  # 2x2 windows, stride 2, by hand
        conv, bn = model.blocks[3].shortcut[1], model.blocks[3].shortcut[2]
        expected = torch.nn.functional.batch_norm(torch.nn.functional.conv2d(pooled, conv.weight), bn.running_mean,
                                                  bn.running_var, bn.weight, bn.bias, eps=bn.eps)
    assert conv.stride == (1, 1) and conv.kernel_size == (1, 1)
    assert torch.allclose(ours, expected, atol=1e-5)
    with torch.no_grad():  # and it is not the strided 1x1 conv on the same weights
        strided = torch.nn.functional.conv2d(x, conv.weight, stride=2)
    assert not torch.allclose(ours, torch.nn.functional.batch_norm(strided, bn.running_mean, bn.running_var,
                                                                   bn.weight, bn.bias, eps=bn.eps), atol=1e-3)
    with pytest.raises(ValueError, match="unknown shortcut 'pool'"):
        create_model("resnet19", shortcut="pool")


# the official SEENN spike_vgg (models/spike_vgg.py, cfg 'D', width_mult 4): conv3x3 (bias) + tdBN + LIF per number,
# AvgPool2d(2) per 'M', then AdaptiveAvgPool2d(1) and one Linear
SPIKE_VGG_CFG = [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M", 512, 512, 512]


def test_vgg16_seenn_topology_is_spike_vgg():
    with torch.device("meta"):
        model = create_model("vgg16", num_classes=10, topology="seenn")
        classic = create_model("vgg16", num_classes=10)
    kinds = ["M" if isinstance(m, nn.AvgPool2d) else m[0].out_channels
             for m in model.features if isinstance(m, (nn.AvgPool2d, nn.Sequential))]
    assert kinds == SPIKE_VGG_CFG
    assert [type(m) for m in model.classifier] == [nn.AdaptiveAvgPool2d, nn.Flatten, nn.Linear]
    widths = [3, 64, 64, 128, 128, 256, 256, 256, 512, 512, 512, 512, 512, 512]
    convs = sum(_conv(a, b, 3) for a, b in zip(widths, widths[1:]))
    official = convs + sum(widths[1:]) + sum(_bn(c) for c in widths[1:]) + 512 * 10 + 10  # + conv biases
    assert official == 14_728_266
    # ours feed BN without a conv bias (the loader folds an official bias into the BN's running mean)
    assert _params(model) == official - sum(widths[1:]) == 14_724_042
    hidden = 512 * 4096 + 4096 + 4096 * 4096 + 4096 + 4096 * 10 + 10
    assert _params(classic) == convs + sum(_bn(c) for c in widths[1:]) + hidden == 33_642_442
    small = create_model("vgg16", num_classes=10, topology="seenn", width_mult=0.0625).eval()
    assert small(repeat_time(torch.randn(2, 3, 32, 32), 2)).shape == (2, 2, 10)
    with pytest.raises(ValueError, match="unknown topology 'spike'"):
        create_model("vgg16", topology="spike")


def test_vggsnn_stride_downsampling_is_vggsnn_without_pools():
    """SEENN's VGGSNNwoAP: the same eight convs, the 2nd, 4th, 6th and 8th at stride 2, no pooling."""
    with torch.device("meta"):
        pooled = create_model("vggsnn", num_classes=10)
        strided = create_model("vggsnn", num_classes=10, downsample="stride")
    assert [c.stride for c in _convs3x3(strided)] == [(1, 1), (2, 2)] * 4
    assert not any(isinstance(m, nn.AvgPool2d) for m in strided.modules())
    assert _params(strided) == _params(pooled) and strided.fc.in_features == 512 * 3 * 3
    out = create_model("vggsnn", num_classes=10, downsample="stride", width_mult=0.0625).eval()(
        repeat_time(torch.randn(2, 2, 48, 48), 2))
    assert out.shape == (2, 2, 10)


def test_resnet34_cifar_stem_is_the_qcfs_code_stem():
    """QCFS Models/ResNet.py: conv3x3 (stride 1) -> BN -> activation, no max-pool; 7x7 stem weights
    (64·3·49) give way to 3x3 ones (64·3·9). Converting it meets no max-pool."""
    with torch.device("meta"):
        ours = create_model("resnet34", num_classes=1000, neuron="relu", stem="cifar")
        ref = torchvision.models.resnet34()
    assert _params(ours) == _params(ref) - 64 * 3 * (49 - 9)
    assert not any(isinstance(m, nn.MaxPool2d) for m in ours.modules())
    small = create_model("resnet34", num_classes=10, stem="cifar", width_mult=0.0625).eval()
    assert small(repeat_time(torch.randn(1, 3, 16, 16), 1)).shape == (1, 1, 10)


def test_identity_residual_init_passes_spikes_through_every_identity_block():
    """residual_init='identity': at initialisation each BasicBlock with an identity shortcut returns its input
    spike trains unchanged over all T steps (membrane carried between steps), for the paper's LIF (τ = 0.5,
    V = 1: β = 0.25 by hand) and for another threshold and leak; the default initialisation does not."""
    from seenn_lib.models.resnet import BasicBlock

    def block_io(model):
        seen = []
        for block in model.modules():
            if isinstance(block, BasicBlock) and isinstance(block.shortcut, nn.Identity):
                block.register_forward_hook(lambda m, i, o: seen.append((i[0], o)))
        with torch.no_grad():
            model(repeat_time(torch.randn(2, 3, 32, 32) * 3, 4))
        return seen

    for neuron_kw, beta in [({}, 0.25), ({"v_th": 0.8, "tau": 0.25}, 0.3)]:
        torch.manual_seed(0)
        model = create_model("resnet34", num_classes=10, width_mult=0.125, residual_init="identity", **neuron_kw)
        assert model.blocks[0].conv2[1].bias.detach().eq(beta).all()
        seen = block_io(model)
        assert len(seen) == 13  # 16 blocks, 3 of them projecting
        for x, y in seen:
            assert 0 < x.mean() < 1 and torch.equal(x, y)
    torch.manual_seed(0)
    assert not all(torch.equal(x, y) for x, y in block_io(create_model("resnet34", num_classes=10, width_mult=0.125)))


def test_identity_residual_init_needs_a_neuron_that_can_pass_a_lone_spike():
    with pytest.raises(ValueError, match="residual_init='identity' needs a LIF"):
        create_model("resnet34", num_classes=10, width_mult=0.125, residual_init="identity", neuron="if")
    with pytest.raises(ValueError, match="v_th < 2 / \\(1 \\+ tau\\)"):
        create_model("resnet34", num_classes=10, width_mult=0.125, residual_init="identity", v_th=1.5)
    ann = create_model("resnet34", num_classes=10, width_mult=0.125, residual_init="identity", neuron="relu")
    assert ann.blocks[0].conv2[1].weight.abs().sum() == 0 and ann.blocks[0].conv2[1].bias.abs().sum() == 0
    with pytest.raises(ValueError, match="unknown residual_init 'zero'"):
        create_model("resnet34", num_classes=10, residual_init="zero")
