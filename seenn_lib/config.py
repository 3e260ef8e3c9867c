"""Experiment configs as plain data: one table per profile (smoke, ci, paper)."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import pandas as pd


@dataclass
class TrainConfig:
    dataset: str = "fashion-mnist"
    model: str = "smoke_cnn"
    time_steps: int = 4
    epochs: int = 3
    batch_size: int = 128
    optimizer: str = "sgd"  # sgd (momentum) | adam
    lr: float = 0.1
    momentum: float = 0.9
    weight_decay: float = 5e-4
    loss: str = "tet"  # tet (SEENN Eq. 11) | ce (cross-entropy of the mean output)
    model_kw: dict = field(default_factory=dict)
    train_subset: int = 0  # 0 = the whole training set
    test_subset: int = 0
    seed: int = 0

    def __post_init__(self):
        if self.time_steps < 1:
            raise ValueError(f"time_steps must be >= 1, got {self.time_steps}")
        if self.epochs < 1 or self.batch_size < 1:
            raise ValueError(f"epochs and batch_size must be >= 1, got {self.epochs}, {self.batch_size}")
        if self.loss not in ("tet", "ce"):
            raise ValueError(f"loss must be 'tet' or 'ce', got {self.loss!r}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def with_(self, **changes) -> "TrainConfig":
        return replace(self, **changes)


# experiment name -> config, per profile. `smoke` runs the suite on CPU in minutes; `ci` is the same
# code path at test size; `paper` follows the papers (GPU and the real datasets).
PROFILES: dict[str, dict[str, TrainConfig]] = {
    "smoke": {
        "direct": TrainConfig(epochs=3, model_kw={"width": 16}),
        # QCFS ANN to convert. λ trains with Adam: with SGD at lr 0.1 a few hundred steps blew the last layer's
        # λ up to ~100 (its gradient sums over every unit). 157 Adam steps at 1e-3 move λ by < 0.05, so its
        # initial value is in effect the trained one. It decides how many timesteps SEENN-I needs to reach
        # QCFS at T = 8 (dense α grid, whole test set, seeds 0/1/2): λ = 1.25 2.63/2.30/2.55; λ = 1.5 4.83/5.83;
        # λ = 1.25 on all 60k images for 2 epochs (ANN ~90%) 5.02/3.89. Against BN-scaled (~unit)
        # pre-activations a larger λ leaves most units on the lower levels, which the first IF step
        # (fire iff x >= λ/2) renders worst: a low-confidence t = 1 that keeps samples running.
        "qcfs": TrainConfig(time_steps=1, loss="ce", epochs=1, train_subset=20000,
                            optimizer="adam", lr=1e-3, model_kw={"width": 16, "neuron": "qcfs", "threshold": 1.25}),
        # TEAS (seenn_lib.teas.TEAS_PROFILES): a directly trained SNN with room to shrink its T. TEAS evaluates
        # ~10 networks with per-layer T (hooks, T = 8): 3,000 test images keep that ~30 s per run
        "teas": TrainConfig(time_steps=8, epochs=2, train_subset=12000, test_subset=3000, model_kw={"width": 16}),
        # notebooks 04 / 05: the ImageNet and CIFAR10-DVS pipelines on small generated data
        "imagenet_resnet34": TrainConfig(dataset="imagenet_synthetic", model="resnet34", time_steps=4, epochs=3,
                                         batch_size=16, lr=0.05, model_kw={"width_mult": 0.125}),
        "imagenet_sew_resnet34": TrainConfig(dataset="imagenet_synthetic", model="sew_resnet34", time_steps=4,
                                             epochs=3, batch_size=16, lr=0.05, model_kw={"width_mult": 0.125}),
        "dvs_vggsnn": TrainConfig(dataset="cifar10_dvs_synthetic", model="vggsnn", time_steps=10, epochs=4,
                                  batch_size=16, lr=0.05, model_kw={"width_mult": 0.125}),
    },
    "ci": {
        "direct": TrainConfig(epochs=1, train_subset=6000, test_subset=2000, model_kw={"width": 8}),
        "qcfs": TrainConfig(time_steps=1, loss="ce", epochs=1, train_subset=6000, test_subset=500,
                            optimizer="adam", lr=1e-3, model_kw={"width": 8, "neuron": "qcfs", "threshold": 2.0}),
        "teas": TrainConfig(time_steps=8, epochs=1, train_subset=600, test_subset=300, batch_size=64,
                            model_kw={"width": 8}),
        "imagenet_resnet34": TrainConfig(dataset="imagenet_synthetic", model="resnet34", time_steps=2, epochs=1,
                                         batch_size=16, lr=0.05, train_subset=32, test_subset=16,
                                         model_kw={"width_mult": 0.0625}),
        "imagenet_sew_resnet34": TrainConfig(dataset="imagenet_synthetic", model="sew_resnet34", time_steps=2,
                                             epochs=1, batch_size=16, lr=0.05, train_subset=32, test_subset=16,
                                             model_kw={"width_mult": 0.0625}),
        "dvs_vggsnn": TrainConfig(dataset="cifar10_dvs_synthetic", model="vggsnn", time_steps=10, epochs=1,
                                  batch_size=16, lr=0.05, train_subset=48, model_kw={"width_mult": 0.0625}),
    },
    "paper": {
        "resnet19_cifar10": TrainConfig(dataset="cifar10", model="resnet19", time_steps=4, epochs=300,
                                        batch_size=128, lr=0.1),
        # QCFS ANNs (L = 4) for conversion, SEENN §4.1: SGD 0.9, lr 0.1 cosine, wd 5e-4, 300 epochs
        "qcfs_resnet18_cifar10": TrainConfig(dataset="cifar10", model="resnet18", time_steps=1, loss="ce",
                                             epochs=300, lr=0.1, model_kw={"neuron": "qcfs"}),
        "qcfs_resnet18_cifar100": TrainConfig(dataset="cifar100", model="resnet18", time_steps=1, loss="ce",
                                              epochs=300, lr=0.1, model_kw={"neuron": "qcfs"}),
        "qcfs_resnet20_cifar10": TrainConfig(dataset="cifar10", model="resnet20", time_steps=1, loss="ce",
                                             epochs=300, lr=0.1, model_kw={"neuron": "qcfs"}),
        "qcfs_resnet20_cifar100": TrainConfig(dataset="cifar100", model="resnet20", time_steps=1, loss="ce",
                                              epochs=300, lr=0.1, model_kw={"neuron": "qcfs"}),
        "qcfs_resnet34_imagenet": TrainConfig(dataset="imagenet", model="resnet34", time_steps=1, loss="ce",
                                              epochs=300, lr=0.1, model_kw={"neuron": "qcfs"}),
        # TEAS Table 2: VGG-16 on CIFAR-10 converted from an ANN (here a QCFS ANN), run at T = 2048
        "teas_vgg16_cifar10": TrainConfig(dataset="cifar10", model="vgg16", time_steps=1, loss="ce",
                                          epochs=300, lr=0.1, model_kw={"neuron": "qcfs"}),
        # ---- SEENN Tables 1, 3, 4 (direct training, TET loss) and SEENN-II; TEAS Table 2 (conversion) ----
        # SEENN §4.1: SGD momentum 0.9, 300 epochs, lr 0.1 cosine, weight decay 5e-4, Cutout + AutoAugment
        # (the cifar10/cifar100 entries of seenn_lib.data). Batch size is not stated: 128 as above.
        "resnet19_cifar100": TrainConfig(dataset="cifar100", model="resnet19", time_steps=4, epochs=300,
                                         batch_size=128, lr=0.1),
        "vgg16_cifar10": TrainConfig(dataset="cifar10", model="vgg16", time_steps=4, epochs=300,
                                     batch_size=128, lr=0.1),
        "vgg16_cifar100": TrainConfig(dataset="cifar100", model="vgg16", time_steps=4, epochs=300,
                                      batch_size=128, lr=0.1),
        # Table 3 / Table 5: ResNet-34 at T = 6, SEW-ResNet-34 at T = 4 (SEENN starts from TET's checkpoints)
        "resnet34_imagenet": TrainConfig(dataset="imagenet", model="resnet34", time_steps=6, epochs=300,
                                         batch_size=128, lr=0.1),
        "sew_resnet34_imagenet": TrainConfig(dataset="imagenet", model="sew_resnet34", time_steps=4, epochs=300,
                                             batch_size=128, lr=0.1),
        # Table 4 / Table 5: VGGSNN on 10-frame CIFAR10-DVS
        "vggsnn_cifar10_dvs": TrainConfig(dataset="cifar10_dvs", model="vggsnn", time_steps=10, epochs=300,
                                          batch_size=128, lr=0.1),
        # TEAS Table 2, ANN-converted rows; TEAS Table 1: Adam, lr 5e-4 for the 150 pre-training epochs
        # (retraining: 30 epochs at 1e-4, seenn_lib.teas), batch size 16-64 -> 64
        "teas_resnet20_cifar10": TrainConfig(dataset="cifar10", model="resnet20", time_steps=1, loss="ce",
                                             optimizer="adam", epochs=150, batch_size=64, lr=5e-4,
                                             weight_decay=0.0, model_kw={"neuron": "qcfs"}),
        "teas_resnet20_cifar100": TrainConfig(dataset="cifar100", model="resnet20", time_steps=1, loss="ce",
                                              optimizer="adam", epochs=150, batch_size=64, lr=5e-4,
                                              weight_decay=0.0, model_kw={"neuron": "qcfs"}),
        "teas_vgg16_cifar100": TrainConfig(dataset="cifar100", model="vgg16", time_steps=1, loss="ce",
                                           optimizer="adam", epochs=150, batch_size=64, lr=5e-4,
                                           weight_decay=0.0, model_kw={"neuron": "qcfs"}),
        "teas_resnet34_imagenet": TrainConfig(dataset="imagenet", model="resnet34", time_steps=1, loss="ce",
                                              optimizer="adam", epochs=150, batch_size=64, lr=5e-4,
                                              weight_decay=0.0, model_kw={"neuron": "qcfs"}),
        "teas_vgg16_imagenet": TrainConfig(dataset="imagenet", model="vgg16_imagenet", time_steps=1, loss="ce",
                                           optimizer="adam", epochs=150, batch_size=64, lr=5e-4,
                                           weight_decay=0.0, model_kw={"neuron": "qcfs"}),
    },
}


# T_max at which SNNs converted from QCFS ANNs are evaluated, per dataset: SEENN Tables 2-3 (8 on CIFAR,
# 64 on ImageNet); 32 on Fashion-MNIST for the smoke/ci curves of T = 2..32.
CONVERSION_T_MAX: dict[str, int] = {"fashion-mnist": 32, "cifar10": 8, "cifar100": 8, "imagenet": 64}
# T_max of the converted SNN that SEENN-I runs on (conversion.exit_t_max). Table 2 runs SEENN-I on the CIFAR
# SNN of T_max = 8, the T it compares QCFS at, and Table 3 on ImageNet's of 64; Fashion-MNIST follows CIFAR
# (compared at T = 8), while its curve still runs to CONVERSION_T_MAX = 32. At T_max = 32 the samples that
# never reach α (a 1-epoch smoke ANN is far less confident than a 300-epoch one) would run 32 steps each.
CONVERSION_EXIT_T_MAX: dict[str, int] = {"fashion-mnist": 8, "cifar10": 8, "cifar100": 8, "imagenet": 64}

# SEENN-II joint fine-tuning (seenn_lib.policy): the SNN of a warm-up experiment of the same profile plus a
# policy network, trained together on SEENN Eq. 12. Kept apart from PROFILES so that loops over a profile's
# TET experiments never train these as plain models. SEENN §4.1: SGD, 75 epochs at lr 0.01. The smoke and ci
# runs are one short epoch, so they use Adam: a policy trained from scratch learns within it.
FINETUNE_PROFILES: dict[str, dict[str, TrainConfig]] = {
    "smoke": {"seenn2": TrainConfig(epochs=1, optimizer="adam", lr=1e-3, train_subset=12000,
                                    model_kw={"width": 16})},
    "ci": {"seenn2": TrainConfig(epochs=1, optimizer="adam", lr=1e-3, train_subset=1000, test_subset=2000,
                                 model_kw={"width": 8})},
    "paper": {  # the SEENN-II rows of Tables 1, 3, 4
        "seenn2_resnet19_cifar10": TrainConfig(dataset="cifar10", model="resnet19", time_steps=4, epochs=75,
                                               batch_size=128, lr=0.01),
        "seenn2_resnet19_cifar100": TrainConfig(dataset="cifar100", model="resnet19", time_steps=4, epochs=75,
                                                batch_size=128, lr=0.01),
        "seenn2_vgg16_cifar10": TrainConfig(dataset="cifar10", model="vgg16", time_steps=4, epochs=75,
                                            batch_size=128, lr=0.01),
        "seenn2_vgg16_cifar100": TrainConfig(dataset="cifar100", model="vgg16", time_steps=4, epochs=75,
                                             batch_size=128, lr=0.01),
        "seenn2_resnet34_imagenet": TrainConfig(dataset="imagenet", model="resnet34", time_steps=6, epochs=75,
                                                batch_size=128, lr=0.01),
        "seenn2_sew_resnet34_imagenet": TrainConfig(dataset="imagenet", model="sew_resnet34", time_steps=4,
                                                    epochs=75, batch_size=128, lr=0.01),
        "seenn2_vggsnn_cifar10_dvs": TrainConfig(dataset="cifar10_dvs", model="vggsnn", time_steps=10, epochs=75,
                                                 batch_size=128, lr=0.01),
    },
}


def list_profiles() -> list[str]:
    return sorted(PROFILES)


def profile_configs(profile: str) -> dict[str, TrainConfig]:
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {list_profiles()}")
    return PROFILES[profile]


def get_config(profile: str, experiment: str) -> TrainConfig:
    table = profile_configs(profile)
    if experiment not in table:
        raise ValueError(f"profile {profile!r} has no experiment {experiment!r}; it has {sorted(table)}")
    return table[experiment]


def profile_table(profile: str) -> pd.DataFrame:
    """The profile as a tidy table, one row per experiment."""
    return pd.DataFrame([{"experiment": k, **v.to_dict()} for k, v in profile_configs(profile).items()])

