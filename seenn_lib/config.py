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
    },
    "ci": {
        "direct": TrainConfig(epochs=1, train_subset=6000, test_subset=2000, model_kw={"width": 8}),
    },
    "paper": {
        "resnet19_cifar10": TrainConfig(dataset="cifar10", model="resnet19", time_steps=4, epochs=300,
                                        batch_size=128, lr=0.1),
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


def experiments(profile: str, **match) -> list[str]:
    """Names of a profile's experiments whose config fields equal `match` (e.g. loss="tet")."""
    return [name for name, cfg in profile_configs(profile).items()
            if all(getattr(cfg, key) == value for key, value in match.items())]
