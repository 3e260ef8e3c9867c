"""The benchmark suites' code paths at toy sizes (the timings themselves are the bench command's job)."""
import argparse
import json

import pytest
import torch

from seenn_lib.bench import (DEFAULT_RESNETS, benchmark_neurons, inference_targets, neuron_implementations,
                             spikingjelly_setup, steady_cpu_allocator)
from seenn_lib.bench.inference import first_samples
from seenn_lib.cli import build_parser, main, model_run, resnet_run
from seenn_lib.results import write_outputs


def test_neuron_benchmark_times_every_implementation_on_each_shape():
    df = benchmark_neurons(shapes=((2, 2, 3, 4, 4), (3, 2, 3, 4, 4)), rounds=1, progress=False)
    names = set(neuron_implementations(torch.device("cpu")))
    assert set(df.implementation) == names
    assert df.groupby("shape").size().tolist() == [len(names)] * 2
    ok = df[df.error == ""]
    assert (ok.ms > 0).all() and {"seenn plain", "seenn compiled"} <= set(ok.implementation)
    if df.implementation.str.startswith("spikingjelly").any():
        fastest = ok[ok.implementation.str.startswith("spikingjelly")].groupby("shape").vs_fastest_spikingjelly.min()
        assert fastest.eq(1.0).all()


def test_steady_allocator_applies_on_glibc():
    import platform
    if platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt is glibc's")
    assert steady_cpu_allocator() is True


@pytest.mark.parametrize("text,expected", [("0.125:1024:64", (0.125, 1024, 64)), ("1:256:32", (1.0, 256, 32))])
def test_resnet_run_parses(text, expected):
    assert resnet_run(text) == expected


@pytest.mark.parametrize("text", ["0.125:1024", "a:1:2", "0:10:2", "1:10:-1"])
def test_resnet_run_rejects_bad_text(text):
    with pytest.raises(argparse.ArgumentTypeError, match="WIDTH:IMAGES:BATCH|must be > 0"):
        resnet_run(text)


def test_bench_inference_defaults_include_full_width_resnet():
    assert build_parser().parse_args(["bench", "inference"]).resnet is None  # the command then runs DEFAULT_RESNETS
    assert (1.0, 256, 32) in DEFAULT_RESNETS and (0.125, 1024, 64) in DEFAULT_RESNETS
    assert build_parser().parse_args(["bench", "inference", "--resnet"]).resnet == []


@pytest.mark.parametrize("text,expected", [("spikingjelly:spiking_resnet18", ("spiking_resnet18", 1024, 64)),
                                           ("spikingjelly:sew_resnet18:256:32", ("sew_resnet18", 256, 32))])
def test_model_run_parses(text, expected):
    assert build_parser().parse_args(["bench", "inference", "--model", text]).model == [expected]


@pytest.mark.parametrize("text", ["timm:resnet18", "spikingjelly:", "spikingjelly:x:1", "spikingjelly:x:0:2"])
def test_model_run_rejects_bad_text(text):
    with pytest.raises(argparse.ArgumentTypeError, match=r"spikingjelly:NAME\[:IMAGES:BATCH\]"):
        model_run(text)


def test_spikingjelly_setup_refuses_a_model_it_does_not_benchmark():
    with pytest.raises(ValueError, match="spiking_resnet18"):
        spikingjelly_setup("spiking_vgg11", images=2)


def test_bad_resnet_run_is_one_usage_error(capsys):
    with pytest.raises(SystemExit):
        main(["bench", "inference", "--resnet", "1:2"])
    assert "WIDTH:IMAGES:BATCH" in capsys.readouterr().err


def test_inference_targets_and_outputs(tmp_path):
    import matplotlib.pyplot as plt
    import pandas as pd

    from seenn_lib.bench import add_ratios
    runs = {"static T=4": (4.0, 1.00), "static T=1": (1.0, 0.25), "static T=4 folded": (4.0, 1.20),
            "engine α=0.9": (1.5, 0.40), "one-at-a-time α=0.9": (1.5, 0.80)}  # method: (average T, seconds)
    df = pd.DataFrame([{"model": "m", "method": m, "kind": m.split(" ")[0], "t_max": 4, "images": 100,
                        "avg_timesteps": t, "seconds": s, "images_per_s": 100 / s, "peak_memory_mb": 10.0}
                       for m, (t, s) in runs.items()])
    targets = inference_targets(add_ratios(df))
    by_check = dict(zip(targets.check, targets.ratio))
    assert by_check["static T=4 cost / (4 x T=1 cost)"] == pytest.approx(1.0)
    assert by_check["static T=4 folded cost / (4 x T=1 cost)"] == pytest.approx(1.2)
    assert by_check["engine α=0.9 / ideal (AET 1.50)"] == pytest.approx((25 * 1.5) / 40)
    assert by_check["engine α=0.9 / one-at-a-time"] == pytest.approx(2.0)
    # speed-up over static T=4: 1.00 / 0.40 = 2.5 of the ideal 4 / 1.5
    check = "engine α=0.9 speed-up over static T=4 / ideal T_max / T̄ = 2.67"
    assert by_check[check] == pytest.approx(2.5 / (4 / 1.5))
    assert {c for c in by_check if "peak memory" in c} == {"engine α=0.9 peak memory / static T=4",
                                                           "engine α=0.9 peak memory / static T=4 folded"}
    fig = plt.figure()
    paths = write_outputs({"targets": targets}, {"device": "cpu"}, fig, "b", tmp_path)
    assert {p.name for p in paths} == {"b_targets.csv", "b.json", "b.png", "b.pdf"}
    assert json.loads((tmp_path / "b.json").read_text())["device"] == "cpu"


def test_first_samples_takes_int_and_tensor_labels():
    """torchvision's CIFAR-10 (and the stand-in read by it) labels samples with ints, Fashion-MNIST here with
    tensors: both stack into one label tensor beside the images."""
    image = torch.zeros(3, 4, 4)
    for label in (7, torch.tensor(7)):
        x, y = first_samples([(image, label)] * 3, 2)
        assert x.shape == (2, 3, 4, 4) and y.tolist() == [7, 7]


def test_layout_benchmark_times_both_layouts_where_place_would_switch(tmp_path):
    import pandas as pd

    from seenn_lib.config import get_profile
    from seenn_lib.devices import channels_last_safe
    from seenn_lib.train import build_model
    main(["bench", "layout", "--profile", "ci", "--rounds", "1", "--out", str(tmp_path)])
    summary = json.loads((tmp_path / "bench_layout.json").read_text())
    df = pd.DataFrame(summary["results"])
    for name, cfg in get_profile("ci").experiments.items():
        rows = df[df.experiment == name]
        if channels_last_safe(build_model(cfg), torch.device("cpu")):
            assert sorted(zip(rows.layout, rows.phase)) == sorted(
                (layout, phase) for layout in ("NCHW", "channels_last") for phase in ("evaluation", "train step"))
            assert (rows.ms > 0).all() and (rows[rows.layout == "NCHW"].vs_nchw == 1.0).all()
        else:
            assert len(rows) == 1 and "channels_last_safe" in rows.note.iloc[0]
    assert set(summary["channels_last_vs_nchw_geomean"]) <= {"evaluation", "train step"}
    assert {p.name for p in tmp_path.iterdir()} >= {"bench_layout_results.csv", "bench_layout.png"}
