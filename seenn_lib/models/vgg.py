"""VGG-16 (CIFAR and ImageNet variants) and TET's VGGSNN for CIFAR10-DVS."""
from __future__ import annotations

from torch import nn

from ..layers import SpikingNet
from .registry import register
from .common import check_choice, conv_bn, neuron_factory

POOL = "P"
VGG16_LAYERS = [64, 64, POOL, 128, 128, POOL, 256, 256, 256, POOL, 512, 512, 512, POOL, 512, 512, 512, POOL]
VGGSNN_LAYERS = [64, 128, POOL, 256, 256, POOL, 512, 512, POOL, 512, 512, POOL]
# VGG-16 'classic': five pooled stages, FC-4096, FC-4096, FC (Simonyan & Zisserman) | 'seenn': the official
# SEENN spike_vgg (its cfg 'D'): no pooling after the fifth stage, global average pooling, one FC
VGG16_TOPOLOGIES = ("classic", "seenn")
# how VGGSNN halves the resolution: 2x2 average pooling (TET's VGGSNN) | the conv before each pool at stride 2
# instead (VGGSNNwoAP, the network the official SEENN train_snn.py trains on CIFAR10-DVS)
VGGSNN_DOWNSAMPLINGS = ("pool", "stride")


def vgg_features(layers, in_channels: int, act, width_mult: float,
                 strided: bool = False) -> tuple[nn.Sequential, int, int]:
    """conv3x3-BN-neuron per number, 2x2 average pooling per POOL (average, not max, pooling: it is linear,
    so it keeps spike trains convertible); `strided`: the conv before each POOL at stride 2 instead of the
    pool. Returns (features, out_channels, number of halvings)."""
    modules, c, pools = [], in_channels, 0
    for i, item in enumerate(layers):
        if item == POOL:
            modules += [] if strided else [nn.AvgPool2d(2)]
            pools += 1
        else:
            width = max(1, round(item * width_mult))
            halves = strided and i + 1 < len(layers) and layers[i + 1] == POOL
            modules += [conv_bn(c, width, stride=2 if halves else 1), act()]
            c = width
    return nn.Sequential(*modules), c, pools


def _trunk(layers, in_channels: int, act, width_mult: float, image_size: int, name: str,
           strided: bool = False) -> tuple[nn.Module, int, int]:
    """The conv stages, their output channels and the size of their flattened output at `image_size`."""
    features, c, pools = vgg_features(layers, in_channels, act, width_mult, strided)
    side = image_size // 2 ** pools
    if side < 1:
        raise ValueError(f"image_size {image_size} is too small for {name}'s {pools} poolings; "
                         f"use >= {2 ** pools}")
    return features, c, c * side * side


class VGG16(SpikingNet):
    """13 conv layers in five pooled stages, then FC-4096, FC-4096, FC-classes. image_size 32 gives the
    CIFAR variant (512x1x1 features), 224 the ImageNet one (512x7x7). topology='seenn' (VGG16_TOPOLOGIES):
    the official SEENN spike_vgg, four pooled stages and a fifth unpooled, global average pool, FC-classes."""

    def __init__(self, num_classes: int = 10, in_channels: int = 3, image_size: int = 32,
                 width_mult: float = 1.0, dropout: float = 0.5, act=None, topology: str = "classic", **neuron_kw):
        super().__init__()
        act = act or neuron_factory(**neuron_kw)
        classic = check_choice("topology", topology, VGG16_TOPOLOGIES) == "classic"
        layers = VGG16_LAYERS if classic else VGG16_LAYERS[:-1]
        self.features, c, flat = _trunk(layers, in_channels, act, width_mult, image_size, "VGG-16")
        if not classic:
            self.classifier = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(c, num_classes))
            return
        hidden = max(1, round(4096 * width_mult))
        self.classifier = nn.Sequential(
            nn.Flatten(), nn.Linear(flat, hidden), act(), nn.Dropout(dropout),
            nn.Linear(hidden, hidden), act(), nn.Dropout(dropout), nn.Linear(hidden, num_classes))

    def body(self, x):
        return self.classifier(self.features(x))


class VGGSNN(SpikingNet):
    """TET's CIFAR10-DVS network: 64C3-128C3-AP2-256C3-256C3-AP2-512C3-512C3-AP2-512C3-512C3-AP2-FC on
    2-polarity 48x48 event frames. downsample='stride' (VGGSNN_DOWNSAMPLINGS): VGGSNNwoAP, each AP2 replaced by
    stride 2 in the conv before it."""

    def __init__(self, num_classes: int = 10, in_channels: int = 2, image_size: int = 48,
                 width_mult: float = 1.0, act=None, downsample: str = "pool", **neuron_kw):
        super().__init__()
        act = act or neuron_factory(**neuron_kw)
        strided = check_choice("downsample", downsample, VGGSNN_DOWNSAMPLINGS) == "stride"
        self.features, _, flat = _trunk(VGGSNN_LAYERS, in_channels, act, width_mult, image_size, "VGGSNN", strided)
        self.fc = nn.Linear(flat, num_classes)

    def body(self, x):
        return self.fc(self.features(x).flatten(1))


@register("vgg16")
def vgg16(**kw):
    """CIFAR VGG-16 (32x32 input)."""
    return VGG16(**kw)


@register("vgg16_imagenet")
def vgg16_imagenet(**kw):
    """ImageNet VGG-16 (224x224 input)."""
    return VGG16(**{"image_size": 224, **kw})


@register("vggsnn")
def vggsnn(**kw):
    return VGGSNN(**kw)
