"""The paper profile's dry run (PyTorch Lightning's fast_dev_run, for a whole reproduction): every notebook of the
paper profile on the papers' configs (full-width architectures, the papers' T, optimisers, schedules, SEENN-II
policies and β sweep, TEAS at T = 2048), each training run cut to a few optimiser steps and each evaluation to
a few inputs, so a broken path costs minutes, not GPU-days. What it cuts is listed in `cuts`; the report
prints it. On a GPU the training batches are the papers'; on a CPU they are capped (DryRun.batch_cap) so that
one step of ResNet-34 at 224 pixels fits in memory and in minutes."""
from __future__ import annotations

from dataclasses import dataclass

from .schema import Profile, TeasConfig, TrainConfig


@dataclass(frozen=True)
class DryRun:
    steps: int = 2  # optimiser steps per training run, one per epoch, so a checkpoint is written in between
    eval_samples: int = 8  # test inputs behind every evaluation (one batch)
    teas_samples: int = 2  # inputs TEAS calibrates, retrains and evaluates on, at the paper's T
    batch_cap: int = 0  # a training batch above this runs at this size (0: the papers' batches)
    budget_batch: int = 0  # the batch the budget times each training run's step at (0: the paper's)
    vulnerability_t: int = 0  # notebook 11's T (0: TEAS's, 2048)
    imagenet_eval_samples: int = 0  # test inputs behind ImageNet evaluations (0: eval_samples)

    def batch(self, batch_size: int) -> int:
        return min(batch_size, self.batch_cap) if self.batch_cap else batch_size

    def train(self, cfg: TrainConfig) -> TrainConfig:
        batch = self.batch(cfg.batch_size)
        tests = self.imagenet_eval_samples if cfg.dataset == "imagenet" and self.imagenet_eval_samples else \
            self.eval_samples
        return cfg.with_(epochs=self.steps, batch_size=batch, train_subset=batch, test_subset=tests)

    def teas(self, teas: TeasConfig) -> TeasConfig:
        return teas.with_(adjust_epochs=1, adjust_every=1, finetune_epochs=1, calib_samples=self.teas_samples,
                          train_subset=self.teas_samples, test_subset=self.teas_samples,
                          batch_size=self.batch(teas.batch_size))

    def notebook_parameters(self) -> dict[str, dict]:
        n, m = self.eval_samples, self.teas_samples
        return {"03_conversion_table2": {"coverage_samples": self.imagenet_eval_samples or n},
                "04_imagenet_table3": {"energy_batch": 2},
                "05_cifar10dvs_table4": {"energy_batch": 2},
                "06_throughput_energy": {"images": n, "batch_size": n, "rounds": 1},
                "09_easy_hard_samples": {"per_group": 2},
                # one noisy pass per layer: the paper's noise level only, on the fewest inputs
                "11_teas_vulnerable_layers": {"eval_samples": 1, "magnitudes": [0.1],
                                              **({"time_steps": self.vulnerability_t} if self.vulnerability_t else {})},
                "13_teas_energy": {"samples": m}, "15_calibrated_exit": {"n_splits": 20}}

    def cuts(self) -> list[str]:
        """What the dry run shortens and why, in words (the report's list)."""
        lines = [f"every training run: {self.steps} optimiser steps ({self.steps} epochs of one batch each), so "
                 "that a checkpoint is written and the run resumes past it",
                 f"every evaluation: the first {self.eval_samples} test inputs, the stand-ins: "
                 "data.standins.PAPER_STANDIN_IMAGES of Fashion-MNIST in each real layout",
                 f"TEAS: adjustment and fine-tuning one epoch each, on {self.teas_samples} inputs (calibration, "
                 "retraining and test), at the paper's T = 2048",
                 "notebook parameters (fewer images, rounds, splits): "
                 + "; ".join(f"{k[:2]} {v}" for k, v in self.notebook_parameters().items())
                 + "; notebook 11 on one input at the paper's noise level only: each of its noisy passes runs "
                 "every layer for T steps"]
        if self.batch_cap:
            lines.insert(1, f"training batches capped at {self.batch_cap}: the largest at which one full-width "
                            "ResNet-34 step at 224 pixels and T = 6 fits this machine's memory and minutes")
        if self.imagenet_eval_samples:
            lines.append(f"ImageNet evaluations on {self.imagenet_eval_samples} inputs: the QCFS ResNet-34 keeps its "
                         "code's 3x3 stride-1 stem, ~16x ResNet-34's operations at 224 pixels, for 64 steps")
        if self.vulnerability_t:
            lines.append(f"notebook 11 (vulnerable layers) at T = {self.vulnerability_t}, not 2048: one pass per "
                         "layer at 2048 steps takes ~20 minutes here; the TEAS run itself (12, 13) keeps 2048")
        if self.budget_batch:
            lines.append(f"the budget times each training run at batch {self.budget_batch}, not the paper's")
        return lines


GPU = DryRun()
# 8: one ResNet-34 step at 224 pixels and T = 6 on 8 images is ~0.5 TFLOP, ~15 s and ~4 GB on 2 CPU cores; the
# budget times all ~30 training runs, so at 1 (TEAS's VGG-16 at T = 205 is then ~0.2 TFLOP a step; memory and
# time scale linearly in the batch, which the report states)
CPU = DryRun(batch_cap=8, budget_batch=1, vulnerability_t=256, imagenet_eval_samples=2)


def dry_run_profile(paper: Profile, cut: DryRun) -> Profile:
    """The paper profile with `cut` applied to every training run, evaluation and TEAS setting."""
    return Profile(experiments={n: cut.train(c) for n, c in paper.experiments.items()},
                   finetune={n: cut.train(c) for n, c in paper.finetune.items()}, policies=paper.policies,
                   teas=cut.teas(paper.teas), groups=paper.groups, notebook_parameters=cut.notebook_parameters(),
                   papers_data=paper.papers_data, paper_tables=paper.paper_tables, seenn2_betas=paper.seenn2_betas,
                   # the longest chain (11 -> 12 -> 13, TEAS at T = 2048) on one worker from the start and the
                   # next longest notebook (03, the QCFS ResNet-34 at 224 pixels) on the other: started behind
                   # the others, the chain sets the run's length (docs/measurements.md)
                   start_first=("11", "03", "12", "13", "01", "04"))
