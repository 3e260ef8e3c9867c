"""The shapes of configuration: a training run, a SEENN-II policy, the TEAS knobs, and one profile's table."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

# seenn_lib.train.LOSSES: TET (SEENN Eq. 11, the default) | cross-entropy of the mean output | TET with its
# MSE term (the official code) | Eq. 11 read literally, on the running means f_t
LOSS_NAMES = ("tet", "ce", "tet_mse", "running_mean_ce")
CODINGS = ("rate", "time")  # TEAS §3.2 spike-train conversion: SNN-R | SNN-T
# TEAS #Act(l): "eq2" fired spikes of the whole layer per timestep (Eq. 2) | "rate" the same per neuron
ACTIVITY_MEASURES = ("eq2", "rate")
# IF reset of a converted SNN: "subtract" V_th (keeps the residue; QCFS, Han & Roy's RMP) | "zero" (V_reset = 0)
IF_RESETS = ("subtract", "zero")
# notebook 22's budget levers, each a number the multiplier scales: a training run's epochs | a QCFS ANN's initial
# threshold λ | the SEENN-II joint fine-tuning epochs | TEAS's adjustment and fine-tuning epochs
BUDGET_LEVERS = ("epochs", "qcfs_threshold", "finetune_epochs", "teas_epochs")


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
        if self.loss not in LOSS_NAMES:
            raise ValueError(f"loss must be one of {LOSS_NAMES}, got {self.loss!r}")
        if self.optimizer not in ("sgd", "adam"):
            raise ValueError(f"optimizer must be 'sgd' or 'adam', got {self.optimizer!r}")

    def to_dict(self) -> dict:
        return asdict(self)

    def with_(self, **changes) -> "TrainConfig":
        return replace(self, **changes)


@dataclass(frozen=True)
class PolicySpec:
    """What a SEENN-II experiment adds to its fine-tuning TrainConfig (Profile.finetune)."""
    warmup: str  # experiment of the same profile whose TET-trained SNN starts the joint fine-tuning
    model: str = "smoke_cnn"  # registry name, built with neuron='relu'
    model_kw: dict = field(default_factory=dict)
    input_size: int | None = None  # the policy sees the image down-sampled to this size (None: as it is)
    actions: tuple[int, ...] | None = None  # None = 1..T_max
    # the SNN's learning rate in joint fine-tuning as a fraction of the policy's (the fine-tuning config's lr).
    # 1: SEENN §4.1's one rate for both. Below 1 keeps a short fine-tuning from undoing the warm-up.
    snn_lr_scale: float = 1.0

    def __post_init__(self):
        if self.snn_lr_scale < 0:
            raise ValueError(f"snn_lr_scale (the SNN's lr / the policy's) must be >= 0, got {self.snn_lr_scale}")


@dataclass(frozen=True)
class TeasConfig:
    """TEAS-only knobs; the pretrained SNN is the row `experiment` of the profile's experiments."""
    experiment: str = "teas"
    time_steps: int = 0  # T of every layer before TEAS; 0: the SNN config's (converted SNNs: conversion_t_max)
    conversion_reset: str = "subtract"  # IF reset of a converted SNN (IF_RESETS); directly trained LIF: always 0
    activity: str = "eq2"  # #Act(l) behind allocation, adjustment, the regulariser and the figures
    target_ratio: float = 0.45  # final mean T_l / T
    init_ratio: float = 0.7  # mean T_l / T after the initial allocation
    t_min: int = 1
    lam: float = 0.5  # λ of Eq. 8
    adjust_epochs: int = 2  # training with periodic adjustment
    adjust_every: int = 1
    finetune_epochs: int = 1  # after the final adjustment
    lr: float = 5e-4  # Adam, adjustment phase
    finetune_lr: float = 1e-4  # Adam, fine-tuning phase
    lr_decay: float = 1.0  # the learning rate is multiplied by this after every epoch of a phase (1: constant)
    batch_size: int = 128
    loss: str = "ce"
    coding: str = "rate"
    train_subset: int = 0  # 0: the pretrained SNN's training subset
    test_subset: int = 0  # test images behind TEAS's accuracies (0: the pretrained SNN's test subset)
    calib_samples: int = 2000  # training samples whose activity sets the initial allocation
    seed: int = 0

    def __post_init__(self):
        if self.time_steps < 0 or self.t_min < 1:
            raise ValueError(f"time_steps must be >= 0 (0: the SNN's own T) and t_min >= 1, got {self.time_steps}, "
                             f"{self.t_min}")
        if not 0 < self.target_ratio <= self.init_ratio <= 1:
            raise ValueError(f"need 0 < target_ratio <= init_ratio <= 1, got {self.target_ratio}, {self.init_ratio}")
        if self.lam < 0:
            raise ValueError(f"lam (λ of Eq. 8) must be >= 0, got {self.lam}")
        if self.adjust_epochs < 0 or self.finetune_epochs < 0 or self.adjust_every < 1:
            raise ValueError("adjust_epochs and finetune_epochs must be >= 0 and adjust_every >= 1, got "
                             f"{self.adjust_epochs}, {self.finetune_epochs}, {self.adjust_every}")
        if min(self.train_subset, self.test_subset, self.calib_samples) < 0:
            raise ValueError("train_subset, test_subset and calib_samples must be >= 0 (0: all / the SNN's), got "
                             f"{self.train_subset}, {self.test_subset}, {self.calib_samples}")
        if not 0 < self.lr_decay <= 1:
            raise ValueError(f"lr_decay (the per-epoch factor on the learning rate) must be in (0, 1], "
                             f"got {self.lr_decay}")
        for name, value, choices in [("coding", self.coding, CODINGS), ("loss", self.loss, LOSS_NAMES),
                                     ("activity", self.activity, ACTIVITY_MEASURES),
                                     ("conversion_reset", self.conversion_reset, IF_RESETS)]:
            if value not in choices:
                raise ValueError(f"TeasConfig.{name} must be one of {choices}, got {value!r}")

    def with_(self, **changes) -> "TeasConfig":
        return replace(self, **changes)


@dataclass(frozen=True)
class BudgetLever:
    """One lever of notebook 22: the claims whose quantity it may move, the profile's experiments it retrains
    (epochs, qcfs_threshold; the other two act on the profile's SEENN-II or TEAS run), the multipliers run (1:
    the profile's own setting), and what larger multipliers would cost where they do not fit the profile's time."""
    lever: str
    claims: tuple[str, ...]
    experiments: tuple[str, ...] = ()
    multipliers: tuple[float, ...] = (1, 2, 4)
    left_out: str = ""

    def __post_init__(self):
        if self.lever not in BUDGET_LEVERS:
            raise ValueError(f"BudgetLever.lever must be one of {BUDGET_LEVERS}, got {self.lever!r}")
        if 1 not in self.multipliers or min(self.multipliers) <= 0:
            raise ValueError(f"a lever's multipliers must be > 0 and include 1 (the profile's own setting), got "
                             f"{self.multipliers}")
        if (self.lever in ("epochs", "qcfs_threshold")) != bool(self.experiments):
            raise ValueError(f"lever {self.lever!r}: name the experiments it retrains for 'epochs' and "
                             f"'qcfs_threshold' only, got {self.experiments}")


@dataclass(frozen=True)
class Profile:
    """Everything a profile decides, as data: its experiments (name -> TrainConfig), SEENN-II fine-tuning runs
    and their policies (by the same fine-tuning name), the TEAS settings, the experiment groups each notebook
    reads (group -> {label: experiment}), parameters that reproduce() passes to named notebooks, whether it
    runs the papers' own data and models (only then are absolute numbers set beside the papers'), the
    training runs behind each paper table (gpu-check's cost projection; "teas" is the TEAS retraining), the
    β values of the SEENN-II sweep, and the notebooks (by number) that reproduce() starts before the others,
    in that order, when it runs several at once: the heads of the profile's longest chains, as measured; and
    the levers of notebook 22's budget trends."""
    experiments: dict[str, TrainConfig]
    finetune: dict[str, TrainConfig]
    policies: dict[str, PolicySpec]
    teas: TeasConfig
    groups: dict[str, dict[str, str]]
    notebook_parameters: dict[str, dict] = field(default_factory=dict)
    papers_data: bool = False
    paper_tables: dict[str, tuple[str, ...]] = field(default_factory=dict)
    seenn2_betas: tuple[float, ...] = (0.5, 4.0, 16.0, 64.0)  # notebook 08's β sweep, the explorer's β slider
    start_first: tuple[str, ...] = ()
    budget_levers: tuple[BudgetLever, ...] = ()  # notebook 22's trends; a profile without them skips it

    def with_seed(self, seed: int) -> "Profile":
        """The same profile with every training run (experiments, SEENN-II fine-tuning, TEAS) seeded by `seed`."""
        return replace(self, experiments={k: c.with_(seed=seed) for k, c in self.experiments.items()},
                       finetune={k: c.with_(seed=seed) for k, c in self.finetune.items()},
                       teas=self.teas.with_(seed=seed))

    def __post_init__(self):
        if set(self.finetune) != set(self.policies):
            raise ValueError(f"every SEENN-II fine-tuning run needs a policy and vice versa: runs "
                             f"{sorted(self.finetune)}, policies {sorted(self.policies)}")
        known = set(self.experiments) | set(self.finetune)
        unknown = {name for group in self.groups.values() for name in group.values()} - known
        unknown |= {name for runs in self.paper_tables.values() for name in runs} - known - {"teas"}
        unknown |= {name for lever in self.budget_levers for name in lever.experiments} - set(self.experiments)
        if unknown:
            raise ValueError(f"notebook groups, paper tables or budget levers name experiments the profile lacks: "
                             f"{sorted(unknown)}")
        if not all(len(n) == 2 and n.isdigit() for n in self.start_first):
            raise ValueError(f"start_first names notebooks by their two-digit number, e.g. ('01', '11'); got "
                             f"{self.start_first}")
