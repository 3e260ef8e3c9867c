"""The ci profile: the smoke code path at test size (the test suite executes every notebook in it)."""
from .schema import BudgetLever, PolicySpec, Profile, TeasConfig, TrainConfig

EXPERIMENTS = {
    "direct": TrainConfig(epochs=1, train_subset=6000, test_subset=2000, model_kw={"width": 8}),
    "qcfs": TrainConfig(time_steps=1, loss="ce", epochs=1, train_subset=6000, test_subset=500,
                        optimizer="adam", lr=1e-3, model_kw={"width": 8, "neuron": "qcfs", "threshold": 2.0}),
    "teas": TrainConfig(time_steps=8, epochs=1, train_subset=600, test_subset=300, batch_size=64,
                        model_kw={"width": 8}),
    "imagenet_resnet34": TrainConfig(dataset="standin-imagenet", model="resnet34", time_steps=2, epochs=1,
                                     batch_size=16, lr=0.05, train_subset=32, test_subset=16,
                                     model_kw={"width_mult": 0.0625, "residual_init": "identity"}),
    "imagenet_sew_resnet34": TrainConfig(dataset="standin-imagenet", model="sew_resnet34", time_steps=2,
                                         epochs=1, batch_size=16, lr=0.05, train_subset=32, test_subset=16,
                                         model_kw={"width_mult": 0.0625}),
    "dvs_vggsnn": TrainConfig(dataset="standin-cifar10-dvs", model="vggsnn", time_steps=10, epochs=1,
                              batch_size=16, lr=0.05, train_subset=48, model_kw={"width_mult": 0.0625}),
}

PROFILE = Profile(
    experiments=EXPERIMENTS,
    finetune={"seenn2": TrainConfig(epochs=1, optimizer="adam", lr=1e-3, train_subset=1000, test_subset=2000,
                                    model_kw={"width": 8})},
    policies={"seenn2": PolicySpec(warmup="direct", model="smoke_cnn", model_kw={"width": 2})},
    teas=TeasConfig(adjust_epochs=1, finetune_epochs=1, batch_size=64, calib_samples=200),
    groups={"main": {"SEENN-I": "direct"}, "table1": {"direct": "direct"}, "conversion": {"qcfs": "qcfs"},
            "imagenet": {"ResNet-34": "imagenet_resnet34", "SEW-ResNet-34": "imagenet_sew_resnet34"},
            "dvs": {"VGGSNN": "dvs_vggsnn"}, "seenn2": {"SEENN-II": "seenn2"}},
    # the benchmark notebook times fewer images, one α and one round; notebook 21 trains and measures less
    notebook_parameters={"06_throughput_energy": {"images": 256, "alphas": [0.9], "rounds": 1},
                         "21_bring_your_own_snn": {"train_samples": 1000, "train_steps": 30, "test_samples": 300,
                                                   "bench_images": 128, "rounds": 1, "eval_samples": 100},
                         "22_budget_trends": {"workers": 2}},  # the worker processes' path
    start_first=("01", "11", "12", "08"),  # smoke's chains
    # notebook 22's code path at test size: every lever at 1x and one more setting
    budget_levers=(BudgetLever("epochs", ("SEENN-04",), ("direct",), (1, 2)),
                   BudgetLever("epochs", ("SEENN-09", "SEENN-10"), ("qcfs",), (1, 2)),
                   BudgetLever("qcfs_threshold", ("SEENN-09", "SEENN-10"), ("qcfs",), (1, 0.5)),
                   BudgetLever("epochs", ("SEENN-11",), ("imagenet_sew_resnet34",), (1, 2)),
                   BudgetLever("epochs", ("TEAS-01",), ("teas",), (1, 2)),
                   BudgetLever("finetune_epochs", ("SEENN-06", "SEENN-18", "SEENN-20"), multipliers=(1, 2)),
                   BudgetLever("teas_epochs", ("TEAS-03", "TEAS-06"), multipliers=(1, 2))),
)
