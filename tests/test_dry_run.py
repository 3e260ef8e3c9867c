"""The paper profile's dry run: its profile is the paper's with only the stated cuts, bad input is refused before
any work, real dataset folders are never touched, and (slow) a reduced dry run of the paper profile's notebooks 01
and 05 runs end to end through the same code as `reproduce --profile paper --dry-run`."""
import pytest
import torch

from seenn_lib import dry_run
from seenn_lib.artifacts import artifact_dir, load_cached
from seenn_lib.checkpoints import load_official
from seenn_lib.cli import main
from seenn_lib.config import DRY_RUNS, get_config, get_profile
from seenn_lib.data import load_datasets
from seenn_lib.data.standins import PAPER_LAYOUT, make_paper_standins


@pytest.mark.parametrize("name", ["paper-dry-run", "paper-dry-run-cpu"])
def test_the_dry_run_profile_is_the_paper_s_with_only_the_stated_cuts(name):
    paper, dry = get_profile("paper"), get_profile(name)
    cut = DRY_RUNS["paper"]["cuda" if name == "paper-dry-run" else "cpu"][1]
    assert set(dry.experiments) == set(paper.experiments) and dry.policies == paper.policies
    for table, runs in (("experiments", dry.experiments), ("finetune", dry.finetune)):
        for run_name, cfg in runs.items():
            real = getattr(paper, table)[run_name]
            batch = min(real.batch_size, cut.batch_cap) if cut.batch_cap else real.batch_size
            tests = cut.imagenet_eval_samples if real.dataset == "imagenet" and cut.imagenet_eval_samples else \
                cut.eval_samples
            expected = real.with_(epochs=cut.steps, batch_size=batch, train_subset=batch, test_subset=tests)
            assert cfg == expected, run_name
    assert dry.teas.time_steps == paper.teas.time_steps == 2048 and dry.teas.lam == paper.teas.lam
    assert dry.seenn2_betas == paper.seenn2_betas and dry.groups == paper.groups and dry.papers_data
    assert any("capped at 8" in line for line in DRY_RUNS["paper"]["cpu"][1].cuts())
    assert not any("capped" in line for line in DRY_RUNS["paper"]["cuda"][1].cuts())
    assert "time_steps" not in get_profile("paper-dry-run").notebook_parameters["11_teas_vulnerable_layers"]


def test_only_the_paper_profile_has_a_dry_run(capsys):
    with pytest.raises(SystemExit, match="only the paper profile has a dry run"):
        main(["reproduce", "--profile", "smoke", "--dry-run"])
    with pytest.raises(SystemExit, match="add --dry-run"):
        main(["reproduce", "--profile", "paper", "--data-root", "somewhere"])
    with pytest.raises(SystemExit, match="matches no notebook"):
        main(["reproduce", "--profile", "paper", "--dry-run", "--only", "99"])
    if not torch.cuda.is_available():
        with pytest.raises(SystemExit, match="no CUDA GPU is visible"):
            main(["reproduce", "--profile", "paper", "--dry-run", "--device", "cuda"])


def test_a_data_root_with_a_real_dataset_is_refused_and_left_as_it_was(tmp_path):
    real = tmp_path / "cifar-10-batches-py"
    real.mkdir()
    (real / "data_batch_1").write_bytes(b"the user's data")
    with pytest.raises(ValueError, match="real datasets' folders"):
        make_paper_standins(tmp_path, tmp_path / "fashion")
    assert [p.name for p in tmp_path.iterdir()] == ["cifar-10-batches-py"]
    assert (real / "data_batch_1").read_bytes() == b"the user's data"
    with pytest.raises(SystemExit, match="real datasets' folders"):
        main(["reproduce", "--profile", "paper", "--dry-run", "--only", "01", "--data-root", str(tmp_path)])


def test_gpu_check_refuses_an_unknown_table_before_any_work(monkeypatch):
    monkeypatch.setattr("seenn_lib.bench.gpu_check.gpu_tests", lambda: pytest.fail("ran the GPU tests first"))
    with pytest.raises(SystemExit, match="no paper table 'Table 9'"):
        main(["gpu-check", "--only", "Table 9", "--device", "cpu"])


def test_official_checkpoints_load_into_the_notebooks_models(tmp_path):
    params = dry_run.official_checkpoints("paper-dry-run-cpu", tmp_path, {"04"})
    assert set(params) == {"04"} and params["04"]["checkpoint_source"] == "tet"
    files = params["04"]["checkpoints"]
    assert set(files) == {"resnet34_imagenet", "sew_resnet34_imagenet"}
    net = load_official(files["sew_resnet34_imagenet"], "tet", "sew_resnet34", 1000)
    assert sum(p.numel() for p in net.parameters()) > 20e6  # full width: SEW-ResNet-34 has ~21.8 M parameters


@pytest.mark.slow
def test_a_reduced_dry_run_of_the_paper_profile(tmp_path, monkeypatch):
    """Notebooks 01 (ResNet-19 on CIFAR-10, full width, T = 4) and 05 (VGGSNN on CIFAR10-DVS, T = 10) of the
    paper profile through dry_run.run, on stand-ins the run writes in the real layouts."""
    for name in ("SEENN_CACHE", "SEENN_FIGURES", "SEENN_DATA"):  # run() points them at its folders: restore after
        monkeypatch.setenv(name, str(tmp_path / "unused"))
    log = dry_run.run("paper", "cpu", jobs=1, only=["01", "05"], budget=False, out=tmp_path)
    assert list(log.status) == ["ok", "ok"], log.to_string()
    report = (tmp_path / "figures" / "REPORT.md").read_text()
    assert report.startswith("# dry run: the numbers mean nothing") and "capped at 8" in report
    assert {p.name for p in (tmp_path / "data").iterdir()} >= set(PAPER_LAYOUT)
    train, test = load_datasets("cifar100", tmp_path / "data")
    image, label = test[0]
    assert image.shape == (3, 32, 32) and 0 <= label < 100
    cfg = get_config("paper-dry-run-cpu", "resnet19_cifar10")
    checkpoint = load_cached(artifact_dir("models", cfg.to_dict()) / "checkpoint.pt", cfg.to_dict())
    assert str(artifact_dir("models", cfg.to_dict())).startswith(str(tmp_path / "cache"))
    assert checkpoint["epoch"] == 2  # two one-step epochs, a checkpoint after each
