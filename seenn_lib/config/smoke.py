"""The smoke profile: the whole suite on a 2-core CPU in minutes (Fashion-MNIST, small models)."""
from .schema import PolicySpec, Profile, TeasConfig, TrainConfig

# Measured times and accuracies: docs/measurements.md.
EXPERIMENTS = {
    # the main SEENN-I model (notebooks 01, 06-10, 15, 16) and SEENN-II's warm-up: 80k samples seen (two epochs
    # of 40,000 of the 60,000 training images), sized to the smoke budget
    "direct": TrainConfig(epochs=2, train_subset=40000, model_kw={"width": 16}),
    # QCFS ANN to convert (threshold: λ's starting value). λ trains with Adam: under SGD at lr 0.1 the last
    # layer's λ runs away, since its gradient sums over every unit. One epoch of Adam at 1e-3 (157 steps)
    # barely moves λ, so its starting value is in effect the trained one.
    # Its converted SNN is evaluated on 5,000 test images at every T of its accuracy curve, up to 32.
    "qcfs": TrainConfig(time_steps=1, loss="ce", epochs=1, train_subset=20000, test_subset=5000,
                        optimizer="adam", lr=1e-3, model_kw={"width": 16, "neuron": "qcfs", "threshold": 1.25}),
    # TEAS (PROFILE.teas below): a directly trained SNN with room to shrink its T. TEAS evaluates
    # ~10 networks with per-layer T (hooks, T = 8), so its test set is cut to 3,000 images
    "teas": TrainConfig(time_steps=8, epochs=2, train_subset=12000, test_subset=3000, model_kw={"width": 16}),
    # notebooks 04 / 05 on the stand-ins (data/standins.py), each on its whole training set.
    # ImageNet: 32-pixel crops, T = 2, two epochs of the 12,000 images with Adam.
    # The plain spiking ResNet-34 (a neuron after each residual sum) starts every block as a spike identity
    # (residual_init="identity"): from PyTorch's initialisation a deep plain spiking ResNet degrades (what SEW
    # was built for), and zero-γ alone is no identity (an input spike charges the LIF to exactly V, which does
    # not fire). 3/8 width: between plain blocks only spikes pass, and at 1/8 width stage 1 would carry only 8
    # binary maps, too few to learn (SEW's blocks pass spike counts, so it learns at 1/8).
    "imagenet_resnet34": TrainConfig(dataset="standin-imagenet", model="resnet34", time_steps=2, epochs=2,
                                     batch_size=32, optimizer="adam", lr=2e-3,
                                     model_kw={"width_mult": 0.375, "residual_init": "identity"}),
    "imagenet_sew_resnet34": TrainConfig(dataset="standin-imagenet", model="sew_resnet34", time_steps=2,
                                         epochs=2, batch_size=32, optimizer="adam", lr=4e-3,
                                         model_kw={"width_mult": 0.125}),
    # CIFAR10-DVS: one epoch of the 1,800 training recordings of 10 frames, at T = 10
    "dvs_vggsnn": TrainConfig(dataset="standin-cifar10-dvs", model="vggsnn", time_steps=10, epochs=1,
                              batch_size=16, optimizer="adam", lr=1e-3, model_kw={"width_mult": 0.0625}),
}

PROFILE = Profile(
    experiments=EXPERIMENTS,
    # SEENN-II joint fine-tuning of the "direct" SNN (SEENN §4.1: SGD, 75 epochs at lr 0.01). One short
    # epoch here (12,000 images per β), so Adam: a policy trained from scratch learns within it.
    finetune={"seenn2": TrainConfig(epochs=1, optimizer="adam", lr=1e-3, train_subset=12000,
                                    model_kw={"width": 16})},
    policies={"seenn2": PolicySpec(warmup="direct", model="smoke_cnn", model_kw={"width": 4})},
    # TEAS retraining on 6,000 training images, the initial allocation from 1,000. λ = 0.05: at 0.5 the
    # regulariser silences the two deeper layers of the 3-layer CNN. target_ratio 0.5: mean T 8 -> 4.
    teas=TeasConfig(adjust_epochs=2, finetune_epochs=2, train_subset=6000, calib_samples=1000, lam=0.05,
                    target_ratio=0.5),
    groups={"main": {"SEENN-I": "direct"}, "table1": {"direct": "direct"}, "conversion": {"qcfs": "qcfs"},
            "imagenet": {"ResNet-34": "imagenet_resnet34", "SEW-ResNet-34": "imagenet_sew_resnet34"},
            "dvs": {"VGGSNN": "dvs_vggsnn"}, "seenn2": {"SEENN-II": "seenn2"}},
    # the benchmark times 1000 images over two rounds; the vulnerability sweep evaluates 1000 test images
    notebook_parameters={"06_throughput_energy": {"images": 1000, "rounds": 2},
                         "11_teas_vulnerable_layers": {"eval_samples": 1000}},
    # the heads of the two long chains start first: 01 -> 08 and 11 -> 12
    start_first=("01", "11", "12", "08"),
)
