"""The mini profile: the papers' architectures and recipes at reduced width on the Fashion-MNIST stand-ins
(`python -m seenn_lib data standin-...`), sized for a 2-core CPU: TET training, Cutout + AutoAugment (the
CIFAR loader's transform), QCFS with L = 4, SEENN-II joint fine-tuning, TEAS adjustment and fine-tuning."""
from .schema import BudgetLever, PolicySpec, Profile, TeasConfig, TrainConfig

# SEENN §4.1: SGD momentum 0.9, lr 0.1 cosine, weight decay 5e-4; epochs and data cut to the CPU budget.
# Measured times and accuracies: docs/measurements.md.
_SEENN = {"optimizer": "sgd", "lr": 0.1, "weight_decay": 5e-4, "batch_size": 64}

EXPERIMENTS = {
    # Table 1's ResNet-19 (T = 4) at 1/8 width: the main SEENN-I model and SEENN-II's warm-up
    "resnet19": TrainConfig(dataset="standin-cifar10", model="resnet19", time_steps=4, epochs=6,
                            train_subset=20000, test_subset=2000, model_kw={"width_mult": 0.125}, **_SEENN),
    # Table 2's conversion: a QCFS ResNet-20 ANN (L = 4) at Table 6's widths (16 / 32 / 64), converted and run to
    # T = 8. Its SNN also carries TEAS, at T = 16. λ starts at the QCFS code's 8 and trains with §4.1's SGD.
    "qcfs_resnet20": TrainConfig(dataset="standin-cifar10", model="resnet20", time_steps=1, loss="ce", epochs=5,
                                 train_subset=20000, test_subset=1000, model_kw={"neuron": "qcfs"}, **_SEENN),
    # Table 3: ResNet-34 (T = 6) and SEW-ResNet-34 (T = 4) with the ImageNet stem at 1/8 width, all 12,000
    # training images (train_subset spreads over the class-ordered ImageFolder). The plain ResNet-34 starts each
    # block as a spike identity (models.resnet.init_identity_residuals; why: smoke.py) and trains with Adam.
    "resnet34": TrainConfig(dataset="standin-imagenet", model="resnet34", time_steps=6, epochs=8,
                            test_subset=1000, model_kw={"width_mult": 0.125, "residual_init": "identity"},
                            **{**_SEENN, "optimizer": "adam", "lr": 2e-3, "weight_decay": 0.0}),
    "sew_resnet34": TrainConfig(dataset="standin-imagenet", model="sew_resnet34", time_steps=4, epochs=8,
                                test_subset=1000, model_kw={"width_mult": 0.125}, **_SEENN),
    # Table 4: VGGSNN on 10-frame event recordings at 1/8 width
    "vggsnn": TrainConfig(dataset="standin-cifar10-dvs", model="vggsnn", time_steps=10, epochs=12,
                          model_kw={"width_mult": 0.125}, **_SEENN),
}

PROFILE = Profile(
    experiments=EXPERIMENTS,
    # SEENN §4.1: joint fine-tuning with a ResNet-8 policy (here at 1/4 width), one short epoch per β of the
    # sweep (47 steps): Adam, as smoke, whose policy learns from scratch within one short epoch. The SNN learns
    # at a tenth of the policy's rate (§4.1's one rate for both is snn_lr_scale=1), so that a short fine-tuning
    # at the policy's 1e-3 does not undo the warm-up.
    finetune={"seenn2": EXPERIMENTS["resnet19"].with_(epochs=1, train_subset=3000, optimizer="adam", lr=1e-3)},
    policies={"seenn2": PolicySpec(warmup="resnet19", model="resnet8", model_kw={"width_mult": 0.25},
                                   snn_lr_scale=0.1)},
    # TEAS on the converted ResNet-20 (TEAS Table 2's family) at T = 16 instead of 2048; Table 1's learning rates.
    # On 2,000 training and 500 test images: notebook 12 trains and evaluates the full-width SNN at T = 16 twice.
    teas=TeasConfig(experiment="qcfs_resnet20", time_steps=16, adjust_epochs=2, finetune_epochs=1,
                    train_subset=2000, test_subset=500, calib_samples=500, target_ratio=0.5, init_ratio=0.7,
                    lam=0.05),
    groups={"main": {"SEENN-I": "resnet19"}, "table1": {"ResNet-19": "resnet19"},
            "conversion": {"ResNet-20": "qcfs_resnet20"},
            "imagenet": {"ResNet-34": "resnet34", "SEW-ResNet-34": "sew_resnet34"},
            "dvs": {"VGGSNN": "vggsnn"}, "seenn2": {"SEENN-II": "seenn2"}},
    # 13 spiking layers x 2 noise magnitudes, each on 500 test images at T = 16
    notebook_parameters={"06_throughput_energy": {"images": 1000, "rounds": 2},
                         "11_teas_vulnerable_layers": {"eval_samples": 500}, "22_budget_trends": {"workers": 2}},
    # the long chains start first: the ResNet-19 (01) -> SEENN-II (08); the QCFS ResNet-20 (03), whose SNN
    # TEAS runs, -> 11 -> 12; then the budget trends (22, ~55 minutes, two settings at once) as soon as what it
    # needs is done
    start_first=("01", "03", "11", "12", "08", "22"),
    # notebook 22: the cheapest lever of each claim the mini ledger missed when the levers were set (2026-12-03:
    # SEENN-04, -06, -09, -10, -11, -18, -20, TEAS-01, -03, -06), sized to the notebook's share of 150 minutes
    # (one-thread costs from docs/measurements.md#mini); the papers' own settings stay at 1x. Where 2x does not fit,
    # 0.5x reads the direction from below. Longest retraining first: notebook 22 runs two settings at once.
    budget_levers=(
        BudgetLever("teas_epochs", ("TEAS-03", "TEAS-06"), multipliers=(0.5, 1),
                    left_out="2x (4 adjustment + 2 fine-tuning epochs, with and without the regulariser) adds "
                             "~65 minutes"),
        BudgetLever("epochs", ("SEENN-11",), ("resnet34", "sew_resnet34"), (1, 2),
                    left_out="4x (32 epochs) adds ~30 minutes per network"),
        BudgetLever("epochs", ("SEENN-09", "SEENN-10", "TEAS-01"), ("qcfs_resnet20",), (1, 2),
                    left_out="4x (20 epochs) adds ~30 minutes of training"),
        BudgetLever("epochs", ("SEENN-04",), ("resnet19",), (0.5, 1),
                    left_out="2x (12 epochs) adds ~50 minutes of training"),
        BudgetLever("finetune_epochs", ("SEENN-06", "SEENN-18", "SEENN-20"), multipliers=(1, 2),
                    left_out="4x adds ~20 minutes (4 β x 3 more epochs)"),
        BudgetLever("qcfs_threshold", ("SEENN-09", "SEENN-10"), ("qcfs_resnet20",), (1, 0.5))),
)
