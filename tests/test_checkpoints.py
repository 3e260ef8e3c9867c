"""checkpoints.load_official: state dicts in the published key layouts of the official SEENN, TET and QCFS code.

Each case renames the keys of one of our models into the official layout with a mapping written here,
independently of the library (regexes, and module indices counted by hand from the official model code),
saves the result, loads it back with load_official and checks the outputs are ours."""
import re

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.utils.data import TensorDataset

from seenn_lib import pipelines
from seenn_lib.checkpoints import checkpoint_identity, load_official, official_state_dict, read_state_dict
from seenn_lib.config import TrainConfig
from seenn_lib.conversion import convert
from seenn_lib.data import DatasetSpec, register_dataset
from seenn_lib.layers import repeat_time
from seenn_lib.readout import running_mean
from seenn_lib.models import create_model
from test_models_paper import _excite_batchnorm


def _blocks(per_stage):
    """our block n -> (official stage number from 1, index within the stage)"""
    return [(s + 1, j) for s, count in enumerate(per_stage) for j in range(count)]


def _seenn_resnet19(key):
    """models/resnet.py: conv1, bn (tdBatchNorm: .bn and .seqbn.module), layer1-3 of PreActBasicBlock
    (conv1/conv2 in SeqToANNContainer, bn1/bn2 tdBatchNorm, downsample = [tdLayer(AvgPool), conv1x1, tdBN]),
    fc1 = SeqToANNContainer(Linear)."""
    td = lambda name, rest: [f"{name}.bn.{rest}", f"{name}.seqbn.module.{rest}"]  # noqa: E731
    if m := re.fullmatch(r"stem\.0\.0\.weight", key):
        return ["conv1.weight"]
    if m := re.fullmatch(r"stem\.0\.1\.(\w+)", key):
        return td("bn", m[1])
    if m := re.fullmatch(r"fc\.(\w+)", key):
        return [f"fc1.module.{m[1]}"]
    m = re.fullmatch(r"blocks\.(\d+)\.(\w+)\.(\d)\.(\w+)", key)
    stage, j = _blocks([3, 3, 2])[int(m[1])]
    block = f"layer{stage}.{j}"
    if m[2] in ("conv1", "conv2"):
        return [f"{block}.{m[2]}.module.{m[4]}"] if m[3] == "0" else td(f"{block}.bn{m[2][-1]}", m[4])
    return [f"{block}.downsample.1.module.{m[4]}"] if m[3] == "1" else td(f"{block}.downsample.2", m[4])


# models/spike_vgg.py cfg 'D' at width_mult 4: modules conv, tdBN, LIF per number, one AvgPool per 'M'
SPIKE_VGG_CONVS = [0, 3, 7, 10, 14, 17, 20, 24, 27, 30, 34, 37, 40]
OUR_VGG16_CONVS = [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]  # conv_bn, neuron per conv; a pool per stage


def _seenn_vgg16(key):
    if m := re.fullmatch(r"classifier\.2\.(\w+)", key):
        return [f"classifier.0.module.{m[1]}"]
    m = re.fullmatch(r"features\.(\d+)\.(\d)\.(\w+)", key)
    k = SPIKE_VGG_CONVS[OUR_VGG16_CONVS.index(int(m[1]))]
    return [f"features.{k}.module.{m[3]}"] if m[2] == "0" else [f"features.{k + 1}.bn.{m[3]}",
                                                                f"features.{k + 1}.seqbn.module.{m[3]}"]


def _vggsnn(official_layers, our_convs):
    """TET's VGGSNN / SEENN's VGGSNNwoAP: features = Layer(fwd = SeqToANNContainer(conv, BN)) and pools,
    classifier = SeqToANNContainer(Linear)."""
    def rename(key):
        if m := re.fullmatch(r"fc\.(\w+)", key):
            return [f"classifier.module.{m[1]}"]
        m = re.fullmatch(r"features\.(\d+)\.(\d)\.(\w+)", key)
        return [f"features.{official_layers[our_convs.index(int(m[1]))]}.fwd.module.{m[2]}.{m[3]}"]
    return rename


def _sew_code_resnet(branch: bool):
    """Spike-Element-Wise-ResNet imagenet/spiking_resnet.py (branch=False) and sew_resnet.py (True): conv1, bn1,
    layer1-4 of blocks with conv1/conv2 = SeqToANNContainer(conv, BN) and a downsample, fc."""
    def rename(key):
        if m := re.fullmatch(r"stem\.0\.(\d)\.(\w+)", key):
            return [f"{'conv1' if m[1] == '0' else 'bn1'}.{m[2]}"]
        if key.startswith("fc."):
            return [key]
        m = re.fullmatch(r"blocks\.(\d+)\.(\w+)\.(.+)", key)
        stage, j = _blocks([3, 4, 6, 3])[int(m[1])]
        part = {"conv1": "conv1.module", "conv2": "conv2.module",
                "shortcut": "downsample.0.module" if branch else "downsample.module"}
        if branch:
            sub = re.fullmatch(r"(\d)\.(.+)", m[3])
            if m[2] == "branch":
                return [f"layer{stage}.{j}.{'conv1' if sub[1] == '0' else 'conv2'}.module.{sub[2]}"]
            return [f"layer{stage}.{j}.{part['shortcut']}.{sub[2]}"]
        return [f"layer{stage}.{j}.{part[m[2]]}.{m[3]}"]
    return rename


def _qcfs_resnet(per_stage):
    """QCFS Models/ResNet.py with MyFloor for ReLU: conv1 = [conv, BN, act], conv2_x.. of BasicBlock
    (residual_function = [conv, BN, act, conv, BN], shortcut = [conv, BN], relu), fc."""
    inner = {"conv1.0": "residual_function.0", "conv1.1": "residual_function.1", "act1.threshold":
             "residual_function.2.up", "conv2.0": "residual_function.3", "conv2.1": "residual_function.4",
             "act2.threshold": "relu.up", "shortcut.0": "shortcut.0", "shortcut.1": "shortcut.1"}

    def rename(key):
        if key == "stem.1.threshold":
            return ["conv1.2.up"]
        if m := re.fullmatch(r"stem\.0\.(\d)\.(\w+)", key):
            return [f"conv1.{m[1]}.{m[2]}"]
        if key.startswith("fc."):
            return [key]
        m = re.fullmatch(r"blocks\.(\d+)\.(\w+\.\w+)(\.\w+)?", key)
        stage, j = _blocks(per_stage)[int(m[1])]
        return [f"conv{stage + 1}_x.{j}.{inner[m[2]]}{m[3] or ''}"]
    return rename


# QCFS Models/VGG.py 'VGG16': (stage, position) of each conv in layer1..5, as [conv, BN, act, dropout] + 'M'
QCFS_VGG_CONVS = [(1, 0), (1, 4), (2, 0), (2, 4), (3, 0), (3, 4), (3, 8), (4, 0), (4, 4), (4, 8), (5, 0), (5, 4),
                  (5, 8)]


def _qcfs_vgg16(key):
    if m := re.fullmatch(r"classifier\.(\d)\.(\w+)", key):
        return [f"classifier.{m[1]}.{'up' if m[2] == 'threshold' else m[2]}"]
    m = re.fullmatch(r"features\.(\d+)\.(\w+)(\.\w+)?", key)
    if m[2] == "threshold":  # the neuron after conv_bn i sits at i + 1
        stage, p = QCFS_VGG_CONVS[OUR_VGG16_CONVS.index(int(m[1]) - 1)]
        return [f"layer{stage}.{p + 2}.up"]
    stage, p = QCFS_VGG_CONVS[OUR_VGG16_CONVS.index(int(m[1]))]
    return [f"layer{stage}.{p + int(m[2])}{m[3]}"]


CASES = {  # source, model, switches that make ours the official network, kw, input [B, C, H, W], our -> official
    "seenn-resnet19": ("seenn", "resnet19", {"shortcut": "avgpool", "surrogate": "dspike"},
                       {"width_mult": 0.0625}, (2, 3, 32, 32), _seenn_resnet19),
    "seenn-vgg16": ("seenn", "vgg16", {"topology": "seenn", "surrogate": "dspike"}, {"width_mult": 0.0625},
                    (2, 3, 32, 32), _seenn_vgg16),
    "seenn-vggsnn": ("seenn", "vggsnn", {"downsample": "stride"}, {"width_mult": 0.0625}, (2, 2, 48, 48),
                     _vggsnn(list(range(8)), [0, 2, 4, 6, 8, 10, 12, 14])),
    "tet-vggsnn": ("tet", "vggsnn", {}, {"width_mult": 0.0625}, (2, 2, 48, 48),
                   _vggsnn([0, 1, 3, 4, 6, 7, 9, 10], [0, 2, 5, 7, 10, 12, 15, 17])),
    "tet-resnet34": ("tet", "resnet34", {}, {"width_mult": 0.0625}, (2, 3, 32, 32), _sew_code_resnet(False)),
    "tet-sew_resnet34": ("tet", "sew_resnet34", {}, {"width_mult": 0.0625}, (2, 3, 32, 32), _sew_code_resnet(True)),
    "qcfs-resnet18": ("qcfs", "resnet18", {"neuron": "qcfs"}, {"width_mult": 0.0625}, (2, 3, 16, 16),
                      _qcfs_resnet([2, 2, 2, 2])),
    "qcfs-resnet34": ("qcfs", "resnet34", {"neuron": "qcfs", "stem": "cifar"}, {"width_mult": 0.0625},
                      (2, 3, 16, 16), _qcfs_resnet([3, 4, 6, 3])),
    "qcfs-vgg16": ("qcfs", "vgg16", {"neuron": "qcfs"}, {"width_mult": 0.0625}, (2, 3, 32, 32), _qcfs_vgg16),
}


def _excited(model):
    """Random non-trivial weights (BN statistics, QCFS thresholds) so that neurons fire and reset."""
    _excite_batchnorm(model)
    for name, p in model.named_parameters():
        if name.endswith("threshold"):
            p.data.uniform_(0.5, 2.0)
    return model.eval()


def _official_state(model, rename, conv_bias: bool) -> dict:
    """Our model's state dict in the official layout. conv_bias: the official convs before a BN carry biases
    (VGG); each gets a random bias b, and its BN the running mean μ + b, which is the same network."""
    state = {}
    for key, value in model.state_dict().items():
        for official in rename(key):
            state[official] = value.reshape(1) if key.endswith("threshold") else value.clone()
    if conv_bias:
        for key in [k for k in model.state_dict() if re.search(r"features\.\d+\.0\.weight$", k)]:
            bias = torch.rand(model.state_dict()[key].shape[0]) - 0.5
            state[rename(key)[0].replace("weight", "bias")] = bias
            for official in rename(key.replace(".0.weight", ".1.running_mean")):
                state[official] = state[official] + bias
    return state


def _outputs(model, shape):
    torch.manual_seed(1)
    with torch.no_grad():
        return model(repeat_time(torch.randn(*shape) * 2, 2))


@pytest.mark.parametrize("case", sorted(CASES))
def test_official_layout_loads_to_the_same_network(case, tmp_path):
    source, name, switches, kw, shape, rename = CASES[case]
    torch.manual_seed(0)
    ours = _excited(create_model(name, num_classes=10, in_channels=shape[1], **switches, **kw))
    state = _official_state(ours, rename, conv_bias="vgg16" in name)
    torch.save(state, tmp_path / "official.pth")
    loaded = load_official(tmp_path / "official.pth", source, name, 10, in_channels=shape[1], **kw)
    assert not loaded.training
    expected = _outputs(ours, shape)
    assert torch.allclose(_outputs(loaded, shape), expected, atol=1e-5)
    assert expected.flatten(0, 1).std(0).max() > 1e-3  # not a constant network: outputs vary over t or samples


@pytest.mark.parametrize("case", sorted(CASES))
def test_written_official_state_dicts_use_the_official_keys_and_load_back(case, tmp_path):
    """official_state_dict (the dry run's writer) against this file's independent mappings: every key it writes
    is one the official code names, and load_official reads the file back to the same network."""
    source, name, switches, kw, shape, rename = CASES[case]
    torch.manual_seed(0)
    ours = _excited(create_model(name, num_classes=10, in_channels=shape[1], **switches, **kw))
    written = official_state_dict(ours, source, name)
    assert set(written) <= {k for key in ours.state_dict() for k in rename(key)}
    assert len(written) == len(ours.state_dict())
    torch.save(written, tmp_path / "official.pth")
    loaded = load_official(tmp_path / "official.pth", source, name, 10, in_channels=shape[1], **kw)
    assert torch.equal(_outputs(loaded, shape), _outputs(ours, shape))


def test_known_official_keys_are_in_the_layouts():
    """A few keys as the official model code names them (not through the test's own mappings' logic)."""
    ours = create_model("resnet19", shortcut="avgpool", width_mult=0.0625)
    keys = {k for key in ours.state_dict() for k in _seenn_resnet19(key)}
    assert {"conv1.weight", "bn.seqbn.module.running_var", "layer2.0.downsample.1.module.weight",
            "layer3.1.bn2.bn.num_batches_tracked", "fc1.module.bias"} <= keys
    assert not any(k.startswith("layer4") or k.startswith("layer1.0.downsample") for k in keys)
    vgg = create_model("vgg16", topology="seenn", width_mult=0.0625)
    keys = {k for key in vgg.state_dict() for k in _seenn_vgg16(key)}
    assert {"features.40.module.weight", "features.41.bn.running_mean", "classifier.0.module.weight"} <= keys


def test_conv_bias_is_folded_into_the_batchnorm(tmp_path):
    """The first official spike_vgg layer, conv (with bias) then BN, by torch functional calls on the
    checkpoint's tensors, against our loaded conv_bn."""
    torch.manual_seed(0)
    ours = _excited(create_model("vgg16", topology="seenn", surrogate="dspike", width_mult=0.0625))
    state = _official_state(ours, _seenn_vgg16, conv_bias=True)
    torch.save(state, tmp_path / "vgg.pth")
    loaded = load_official(tmp_path / "vgg.pth", "seenn", "vgg16", 10, width_mult=0.0625)
    x = torch.randn(3, 3, 32, 32)
    official = F.batch_norm(F.conv2d(x, state["features.0.module.weight"], state["features.0.module.bias"],
                                     padding=1),
                            state["features.1.bn.running_mean"], state["features.1.bn.running_var"],
                            state["features.1.bn.weight"], state["features.1.bn.bias"], eps=1e-5)
    with torch.no_grad():
        assert torch.allclose(loaded.features[0](x), official, atol=1e-5)
    assert state["features.0.module.bias"].abs().min() > 0  # the bias mattered


@pytest.mark.parametrize("wrap", [
    lambda s: {"state_dict": s}, lambda s: {"model": s, "epoch": 3, "optimizer": {"lr": 0.1}},
    lambda s: {"net": {f"module.{k}": v for k, v in s.items()}, "acc": 95.0},
    lambda s: {f"module.{k}": v for k, v in s.items()}])
def test_training_script_wrappers_are_unwrapped(wrap, tmp_path):
    source, name, switches, kw, shape, rename = CASES["tet-vggsnn"]
    torch.manual_seed(0)
    ours = _excited(create_model(name, num_classes=10, **kw))
    torch.save(wrap(_official_state(ours, rename, conv_bias=False)), tmp_path / "wrapped.pth")
    loaded = load_official(tmp_path / "wrapped.pth", source, name, 10, **kw)
    assert torch.allclose(_outputs(loaded, shape), _outputs(ours, shape), atol=1e-5)
    assert set(read_state_dict(tmp_path / "wrapped.pth")) == set(_official_state(ours, rename, False))


def _saved(tmp_path, case, edit=lambda s: s):
    source, name, switches, kw, shape, rename = CASES[case]
    ours = create_model(name, num_classes=10, in_channels=shape[1], **switches, **kw)
    path = tmp_path / f"{case}.pth"
    torch.save(edit(_official_state(ours, rename, conv_bias="vgg16" in name)), path)
    return path


def test_wrong_switch_is_one_clear_error(tmp_path):
    path = _saved(tmp_path, "seenn-resnet19")
    with pytest.raises(ValueError, match=r"'layer2\.0\.downsample\.1\.module\.weight' has shape \(16, 8, 1, 1\), "
                                         r"our 'blocks\.3\.shortcut\.1\.weight' \(16,\).*'shortcut': 'avgpool'"):
        load_official(path, "seenn", "resnet19", 10, width_mult=0.0625, shortcut="conv")


def test_wrong_shape_names_key_and_shapes(tmp_path):
    path = _saved(tmp_path, "tet-resnet34")
    with pytest.raises(ValueError, match=r"'fc\.weight' has shape \(10, 32\), our 'fc\.weight' \(100, 32\)"):
        load_official(path, "tet", "resnet34", 100, width_mult=0.0625)


def test_missing_key_names_the_official_key(tmp_path):
    path = _saved(tmp_path, "qcfs-resnet18", lambda s: {k: v for k, v in s.items() if k != "conv3_x.1.relu.up"})
    with pytest.raises(ValueError, match=r"lacks 'conv3_x\.1\.relu\.up' \(our 'blocks\.3\.act2\.threshold'\)"):
        load_official(path, "qcfs", "resnet18", 10, width_mult=0.0625)


def test_unknown_key_and_wrong_topology(tmp_path):
    path = _saved(tmp_path, "seenn-vggsnn")  # VGGSNNwoAP: a Layer at features.2, where VGGSNN pools
    with pytest.raises(ValueError, match=r"'features\.2\.fwd\.module\.0\.weight' has no counterpart"):
        load_official(path, "tet", "vggsnn", 10, width_mult=0.0625)
    with pytest.raises(ValueError, match="'classifier.0.module.weight' goes to 'classifier.2.weight', which our "
                                         "model lacks.*'topology': 'seenn'"):
        load_official(_saved(tmp_path, "seenn-vgg16"), "seenn", "vgg16", 10, width_mult=0.0625, topology="classic")


def test_bad_source_model_and_file(tmp_path):
    with pytest.raises(ValueError, match="unknown checkpoint source 'timm'"):
        load_official(tmp_path / "x.pth", "timm", "resnet19", 10)
    with pytest.raises(ValueError, match="no known tet checkpoint layout for our model 'resnet19'"):
        load_official(tmp_path / "x.pth", "tet", "resnet19", 10)
    with pytest.raises(ValueError, match="no checkpoint file"):
        load_official(tmp_path / "x.pth", "seenn", "resnet19", 10)
    (tmp_path / "junk.pth").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="cannot read"):
        read_state_dict(tmp_path / "junk.pth")
    torch.save({"epoch": 3, "optimizer": {}}, tmp_path / "nostate.pth")
    with pytest.raises(ValueError, match="no state dict"):
        read_state_dict(tmp_path / "nostate.pth")


def test_checkpoint_identity_follows_the_bytes(tmp_path):
    torch.save({"w": torch.zeros(2)}, tmp_path / "a.pth")
    torch.save({"w": torch.ones(2)}, tmp_path / "b.pth")
    a, b = checkpoint_identity(tmp_path / "a.pth", "tet"), checkpoint_identity(tmp_path / "b.pth", "tet")
    assert a["sha256"] != b["sha256"] and a == checkpoint_identity(tmp_path / "a.pth", "tet")


def _tiny_dataset():
    """A generated 3-class, 16x16 RGB dataset in the registry (test split: 6 images)."""
    name = "tiny_official_checkpoint"
    gen = torch.Generator().manual_seed(0)
    test = TensorDataset(torch.rand(6, 3, 16, 16, generator=gen) * 2, torch.tensor([0, 1, 2, 0, 1, 2]))
    train = TensorDataset(torch.rand(6, 3, 16, 16, generator=gen), torch.tensor([0, 1, 2, 0, 1, 2]))
    register_dataset(DatasetSpec(name=name, num_classes=3, in_channels=3, image_size=16,
                                 load=lambda root: (train, test)))
    return name, test.tensors[0]


def _no_training(*args, **kwargs):
    raise AssertionError("an official checkpoint is evaluated, never trained")


def test_pipelines_evaluate_an_official_checkpoint_instead_of_training(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pipelines, "train", _no_training)
    dataset, x = _tiny_dataset()
    torch.manual_seed(0)
    official = _excited(create_model("resnet19", num_classes=3, shortcut="avgpool", surrogate="dspike",
                                     width_mult=0.0625))
    torch.save({"state_dict": _official_state(official, _seenn_resnet19, False)}, tmp_path / "c10_res19")
    cfg = TrainConfig(dataset=dataset, model="resnet19", time_steps=3, model_kw={"width_mult": 0.0625})
    mean_logits, targets = pipelines.cached_logits(cfg, checkpoint=str(tmp_path / "c10_res19"), source="seenn",
                                                   progress=False)
    with torch.no_grad():
        expected = running_mean(official(repeat_time(x, 3)))
    assert torch.allclose(mean_logits, expected, atol=1e-5) and targets.tolist() == [0, 1, 2, 0, 1, 2]
    monkeypatch.setattr(pipelines, "load_official", _no_training)  # the second time: from the cache
    again, _ = pipelines.cached_logits(cfg, checkpoint=str(tmp_path / "c10_res19"), source="seenn", progress=False)
    assert torch.equal(again, mean_logits)
    key, _ = pipelines.logits_artifact(cfg, 3, str(tmp_path / "c10_res19"), "seenn")
    assert key["checkpoint"]["source"] == "seenn" and key != pipelines.logits_artifact(cfg, 3)[0]


def test_converted_logits_of_an_official_qcfs_checkpoint(tmp_path, monkeypatch):
    monkeypatch.setenv("SEENN_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(pipelines, "train", _no_training)
    dataset, x = _tiny_dataset()
    torch.manual_seed(0)
    ann = _excited(create_model("resnet19", num_classes=3, neuron="qcfs", width_mult=0.0625))
    torch.save(_official_state(ann, _qcfs_resnet([3, 3, 2]), False), tmp_path / "c10_res20.pth")
    cfg = TrainConfig(dataset=dataset, model="resnet19", time_steps=1, loss="ce",
                      model_kw={"neuron": "qcfs", "width_mult": 0.0625})
    mean_logits, _ = pipelines.converted_logits(cfg, t_max=4, checkpoint=str(tmp_path / "c10_res20.pth"),
                                                source="qcfs", progress=False)
    with torch.no_grad():
        expected = running_mean(convert(ann)(repeat_time(x, 4)))
    assert mean_logits.shape == (4, 6, 3) and torch.allclose(mean_logits, expected, atol=1e-5)
    ann_logits, _ = pipelines.cached_logits(cfg, checkpoint=str(tmp_path / "c10_res20.pth"), source="qcfs",
                                            progress=False)
    with torch.no_grad():
        assert torch.allclose(ann_logits[0], ann(repeat_time(x, 1))[0], atol=1e-5)
    with pytest.raises(ValueError, match="unknown checkpoint source ''"):
        pipelines.cached_logits(cfg, checkpoint=str(tmp_path / "c10_res20.pth"), progress=False)


def test_checkpoint_args_refuse_an_experiment_the_notebook_lacks():
    args = pipelines.checkpoint_args({"vgg16_cifar10": "v.pth"}, "seenn", ["resnet19_cifar10", "vgg16_cifar10"])
    assert args == {"resnet19_cifar10": {"checkpoint": "", "source": "seenn"},
                    "vgg16_cifar10": {"checkpoint": "v.pth", "source": "seenn"}}
    with pytest.raises(ValueError, match=r"checkpoints names \['vgg16_cifar1'\], not among"):
        pipelines.checkpoint_args({"vgg16_cifar1": "v.pth"}, "seenn", ["vgg16_cifar10"])
