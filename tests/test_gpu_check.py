"""gpu-check: the paper tables' training runs, the cost projection by hand, and the command end to end on the
CPU at reduced size (on a GPU, `make gpu-check` runs the same code at full size)."""
import json
import math

import pandas as pd
import pytest

from seenn_lib.bench.gpu_check import Reduced, cost_runs, gpu_check, per_table, training_costs
from seenn_lib.cli import main
from seenn_lib.config import get_profile
from seenn_lib.data import dataset_spec


def test_every_paper_table_names_its_training_runs():
    runs = cost_runs("paper")
    assert {r.table for r in runs} == set(get_profile("paper").paper_tables)
    by_name = {r.name: r for r in runs}
    assert by_name["resnet19_cifar10"].epochs == 300 and by_name["seenn2_resnet19_cifar10"].epochs == 75
    assert by_name["seenn2_resnet19_cifar10"].seenn2 == "seenn2_resnet19_cifar10"
    teas = by_name["teas retraining (teas_vgg16_cifar10)"]
    assert teas.epochs == 50 and teas.cfg.time_steps == round(0.1 * 2048)  # init_ratio x T, 30 + 20 epochs
    assert [r.name for r in cost_runs("paper", ["SEENN Table 4"])] == ["vggsnn_cifar10_dvs",
                                                                      "seenn2_vggsnn_cifar10_dvs"]
    with pytest.raises(ValueError, match="no paper table 'Table 9'"):
        cost_runs("paper", ["Table 9"])
    with pytest.raises(ValueError, match="no training run 'resnet19_cifar10'"):
        cost_runs("paper", ["SEENN Table 4"], ["resnet19_cifar10"])


def test_projection_is_seconds_per_step_times_steps_times_epochs():
    costs = training_costs("paper", "cpu", ["SEENN Table 4"], seconds=0.1, max_steps=2, reduced=Reduced())
    assert list(costs.experiment) == ["vggsnn_cifar10_dvs", "seenn2_vggsnn_cifar10_dvs"]
    steps = math.ceil(dataset_spec("cifar10_dvs").train_size / 128)  # the paper's batch, not the reduced one
    assert (costs.steps_per_epoch == steps).all() and list(costs.epochs) == [300, 75]
    assert (costs.time_steps == 2).all() and (costs.batch_size == 2).all() and (costs.seconds_per_step > 0).all()
    assert costs.seconds_per_epoch.tolist() == pytest.approx((costs.seconds_per_step * steps).tolist())
    assert costs.gpu_hours.tolist() == pytest.approx((costs.seconds_per_epoch * costs.epochs / 3600).tolist())
    assert per_table(costs).gpu_hours.item() == pytest.approx(costs.gpu_hours.sum())
    assert (costs.peak_memory_mb > 0).all()  # one step's activations, beyond the model and the batch


@pytest.mark.slow
def test_gpu_check_command_on_the_cpu(tmp_path, capsys):
    main(["gpu-check", "--device", "cpu", "--only", "SEENN Table 4", "--experiment", "vggsnn_cifar10_dvs",
          "--seconds-per-run", "0.1", "--skip-bench", "--out", str(tmp_path)])
    assert "vggsnn_cifar10_dvs" in capsys.readouterr().out
    costs = pd.read_csv(tmp_path / "gpu_check.csv")
    assert costs.experiment.tolist() == ["vggsnn_cifar10_dvs"] and costs.gpu_hours.item() > 0
    summary = json.loads((tmp_path / "gpu_check.json").read_text())
    assert summary["reduced"] and summary["gpu_tests"]["returncode"] == 0 and summary["gpu_tests"]["skipped"] >= 1
    assert (tmp_path / "gpu_check.png").exists() and (tmp_path / "gpu_check_tables.csv").exists()


@pytest.mark.gpu
def test_gpu_check_at_full_size_on_one_table(tmp_path):
    result = gpu_check("cuda", ["SEENN Table 4"], seconds=2.0, run_tests=False, run_benchmarks=False)
    assert not result["summary"]["reduced"] and (result["costs"].time_steps == 10).all()
    assert (result["costs"].gpu_hours > 0).all()
