"""Experiment configs as plain data: one table per profile (smoke, ci, mini, paper; schema in config.schema),
and the per-dataset T_max of converted SNNs. Every other module asks these functions, never a profile name."""
from __future__ import annotations

import os

import pandas as pd

from . import ci, mini, paper, smoke
from .dry_run import CPU as DRY_RUN_CPU
from .dry_run import GPU as DRY_RUN_GPU
from .dry_run import DryRun, dry_run_profile
from .schema import (ACTIVITY_MEASURES, BUDGET_LEVERS, CODINGS, IF_RESETS, LOSS_NAMES, BudgetLever, PolicySpec, Profile,
                     TeasConfig, TrainConfig)

SEED_ENV = "SEENN_SEED"
PROFILES: dict[str, Profile] = {"smoke": smoke.PROFILE, "ci": ci.PROFILE, "mini": mini.PROFILE, "paper": paper.PROFILE,
                                "paper-dry-run": dry_run_profile(paper.PROFILE, DRY_RUN_GPU),
                                "paper-dry-run-cpu": dry_run_profile(paper.PROFILE, DRY_RUN_CPU)}
# the profile whose dry run `reproduce --dry-run` runs, by the device it runs on (see config.dry_run)
DRY_RUNS: dict[str, dict[str, tuple[str, DryRun]]] = {
    "paper": {"cuda": ("paper-dry-run", DRY_RUN_GPU), "cpu": ("paper-dry-run-cpu", DRY_RUN_CPU)}}

# T_max at which SNNs converted from QCFS ANNs are evaluated, per dataset: SEENN Tables 2-3 (8 on CIFAR,
# 64 on ImageNet); 32 on Fashion-MNIST for the smoke/ci curves of T = 2..32.
CONVERSION_T_MAX: dict[str, int] = {"fashion-mnist": 32, "cifar10": 8, "cifar100": 8, "imagenet": 64,
                                    "standin-cifar10": 8}
# T_max of the converted SNN that SEENN-I runs on. Table 2 runs SEENN-I on the CIFAR SNN of T_max = 8, the T
# it compares QCFS at, and Table 3 on ImageNet's of 64; Fashion-MNIST follows CIFAR (compared at T = 8),
# while its curve still runs to CONVERSION_T_MAX = 32. At T_max = 32 the samples that never reach α (a
# 1-epoch smoke ANN is far less confident than a 300-epoch one) would run 32 steps each.
CONVERSION_EXIT_T_MAX: dict[str, int] = {"fashion-mnist": 8, "cifar10": 8, "cifar100": 8, "imagenet": 64,
                                         "standin-cifar10": 8}
# the T at which Tables 2-3 compare QCFS with SEENN-I: 8 on CIFAR (and Fashion-MNIST), 32 on ImageNet
CONVERSION_MATCH_T: dict[str, int] = {"fashion-mnist": 8, "cifar10": 8, "cifar100": 8, "imagenet": 32,
                                      "standin-cifar10": 8}


def list_profiles() -> list[str]:
    return sorted(PROFILES)


def run_seed() -> int:
    """The seed of this run's training: SEENN_SEED (set per seed by `reproduce --seeds`), else 0."""
    value = os.environ.get(SEED_ENV, "0")
    if not value.isdigit():
        raise ValueError(f"{SEED_ENV} must be a non-negative integer (a training seed), got {value!r}")
    return int(value)


def get_profile(profile: str) -> Profile:
    """A profile's settings, every training run seeded by run_seed()."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; choose one of {list_profiles()}")
    seed = run_seed()
    return PROFILES[profile].with_seed(seed) if seed else PROFILES[profile]


def profile_configs(profile: str) -> dict[str, TrainConfig]:
    return get_profile(profile).experiments


def get_config(profile: str, experiment: str) -> TrainConfig:
    table = profile_configs(profile)
    if experiment not in table:
        raise ValueError(f"profile {profile!r} has no experiment {experiment!r}; it has {sorted(table)}")
    return table[experiment]


def profile_table(profile: str) -> pd.DataFrame:
    """The profile as a tidy table, one row per experiment."""
    return pd.DataFrame([{"experiment": k, **v.to_dict()} for k, v in profile_configs(profile).items()])


def group(profile: str, name: str) -> dict[str, str]:
    """label -> experiment of one of the profile's notebook groups (main, table1, conversion, imagenet, dvs,
    seenn2)."""
    groups = get_profile(profile).groups
    if name not in groups:
        raise ValueError(f"profile {profile!r} has no experiment group {name!r}; it has {sorted(groups)}")
    return groups[name]


def experiment_of(profile: str, group_name: str, experiment: str = "") -> str:
    """`experiment` when given, else the first experiment of the profile's group."""
    return experiment or next(iter(group(profile, group_name).values()))


def notebook_parameters(profile: str, notebook: str) -> dict:
    """Parameters the profile sets for one notebook (by its stem), beyond profile and device."""
    return dict(get_profile(profile).notebook_parameters.get(notebook, {}))


def _per_dataset(table: dict[str, int], cfg: TrainConfig, name: str) -> int:
    if cfg.dataset not in table:
        raise ValueError(f"no {name} for dataset {cfg.dataset!r}; pass it explicitly or add it to "
                         f"config.{name.upper()} (has {sorted(table)})")
    return table[cfg.dataset]


def conversion_t_max(cfg: TrainConfig) -> int:
    """The paper's T_max for converted SNNs on cfg's dataset (8 on CIFAR, 64 on ImageNet)."""
    return _per_dataset(CONVERSION_T_MAX, cfg, "conversion_t_max")


def exit_t_max(cfg: TrainConfig) -> int:
    """T_max of the converted SNN that SEENN-I runs on (a sample that never reaches confidence α stops
    there): 8 on CIFAR, the T that Table 2 compares QCFS at; 64 on ImageNet (Table 3). May be below
    conversion_t_max, which also covers the accuracy-vs-T curve (Fashion-MNIST: SEENN-I at 8, curve to 32)."""
    return min(_per_dataset(CONVERSION_EXIT_T_MAX, cfg, "conversion_exit_t_max"), conversion_t_max(cfg))


def conversion_match_t(cfg: TrainConfig) -> int:
    """The T at which Tables 2-3 compare QCFS with SEENN-I (8 on CIFAR, 32 on ImageNet), within T_max."""
    return min(_per_dataset(CONVERSION_MATCH_T, cfg, "conversion_match_t"), conversion_t_max(cfg))


__all__ = ["ACTIVITY_MEASURES", "BUDGET_LEVERS", "BudgetLever", "CODINGS", "CONVERSION_EXIT_T_MAX",
           "CONVERSION_MATCH_T", "CONVERSION_T_MAX", "DRY_RUNS", "DryRun", "IF_RESETS", "LOSS_NAMES", "PROFILES",
           "PolicySpec", "Profile", "TeasConfig", "TrainConfig",
           "conversion_match_t", "conversion_t_max", "exit_t_max", "experiment_of", "get_config", "get_profile",
           "group", "list_profiles", "notebook_parameters", "profile_configs", "profile_table"]
