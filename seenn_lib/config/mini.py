"""The mini profile: the papers' architectures and recipes at reduced width on the Fashion-MNIST stand-ins
(`python -m seenn_lib data standin-...`), sized for a 2-core CPU: TET training, Cutout + AutoAugment (the
CIFAR loader's transform), QCFS with L = 4, SEENN-II joint fine-tuning, TEAS adjustment and fine-tuning."""
from .schema import PolicySpec, Profile, TeasConfig, TrainConfig

# SEENN §4.1: SGD momentum 0.9, lr 0.1 cosine, weight decay 5e-4; epochs and data cut to the CPU budget.
# Measured here (2-core CPU, batch 64, two notebooks at once on one thread each), with ResNet-19 at 5 epochs and
# the QCFS ResNet-20 at 1/4 width: the whole profile in 77 minutes; ResNet-19 at 1/8 width ~14 minutes per epoch
# of 20,000 images (notebook 01: 68 minutes, then 08 on it). Accuracies at T_max then: ResNet-19 79.15 %, QCFS
# ResNet-20 ANN 70.9 % (SNN 70.6 % at T = 8), ResNet-34 22.2 %, SEW-ResNet-34 72.3 %, VGGSNN 80.0 % (with
# 3 / 3 / 2 / 2 / 4 epochs: 71.7 / 52.2 / 19.4 / 65.0 / 77.5 %). What held the QCFS ANN back was width more than
# epochs: 3 epochs at 1/4, 1/2 and full width gave 52.2, 63.3 and 76.8 % (the last two on one thread in 4:16 and
# 8:35 here), so it now has Table 6's widths, and ResNet-19 a 6th epoch. With the epochs below and channels_last
# convolutions: ResNet-19 81.2 % (notebook 01: 48 minutes), QCFS ResNet-20 ANN 85.3 % (SNN 83.0 % at T = 8; notebook
# 03: 10 minutes), ResNet-34 29.8 %, SEW-ResNet-34 73.2 %, VGGSNN 77.5 % (200 test recordings: +-3 points); the
# whole profile in 89.6 minutes, TEAS on the full-width SNN the long pole (notebook 12: 64 minutes, 7.9 GB). With the
# identity-started ResNet-34 (68.2 %, 8 epochs with Adam) and TEAS on 2,000 / 500 images (notebook 12: 35 minutes):
# the whole profile in 69 minutes, peak PSS 10.7 GB. The ImageNet stand-in's smallest crop at 35 % of the area
# (data.standins.IMAGENET_MIN_CROP_SCALE) then lifted ResNet-34 to 74.3 % and SEW-ResNet-34 to 76.7 % (8 epochs).
_SEENN = {"optimizer": "sgd", "lr": 0.1, "weight_decay": 5e-4, "batch_size": 64}

EXPERIMENTS = {
    # Table 1's ResNet-19 (T = 4) at 1/8 width: the main SEENN-I model and SEENN-II's warm-up
    "resnet19": TrainConfig(dataset="standin-cifar10", model="resnet19", time_steps=4, epochs=6,
                            train_subset=20000, test_subset=2000, model_kw={"width_mult": 0.125}, **_SEENN),
    # Table 2's conversion: a QCFS ResNet-20 ANN (L = 4) at Table 6's widths (16 / 32 / 64), converted and run to
    # T = 8. Its SNN also carries TEAS, at T = 16 (at full width 12 img/s at T = 32 here, at 1/4 width 45).
    # λ from the QCFS code's 8 with SGD (at 1/4 width: ANN 52.2 %; λ from 1.25 with Adam at 1e-3, smoke's
    # recipe: 35.3 %).
    "qcfs_resnet20": TrainConfig(dataset="standin-cifar10", model="resnet20", time_steps=1, loss="ce", epochs=5,
                                 train_subset=20000, test_subset=1000, model_kw={"neuron": "qcfs"}, **_SEENN),
    # Table 3: ResNet-34 (T = 6) and SEW-ResNet-34 (T = 4) with the ImageNet stem at 1/8 width, all 12,000
    # training images (train_subset spreads over the class-ordered ImageFolder). The plain ResNet-34 starts each
    # block as a spike identity and trains with Adam (models.resnet.init_identity_residuals): four epochs gave
    # 11 % with PyTorch's default start, 38 % with the identity start under SGD at 0.1, 63 % under Adam at 2e-3,
    # eight epochs 68 %. SEW-ResNet-34 stayed near 74 % with ImageNet's 8 % smallest crop: 73.2 % (4 epochs),
    # 74.4 % (8), 76.3 % (16), 74.6 % (4, at 1/4 width), 74.4 % (4, at a 56-pixel crop), its ReLU twin 70.9 % (4)
    # and 79.3 % (16). With the stand-in's 35 % smallest crop: ResNet-34 74.3 % (8 epochs), 74.6 % (16);
    # SEW-ResNet-34 76.7 % (8), 77.7 % (16); the SEW ReLU twin 82.2 % (16).
    "resnet34": TrainConfig(dataset="standin-imagenet", model="resnet34", time_steps=6, epochs=8,
                            test_subset=1000, model_kw={"width_mult": 0.125, "residual_init": "identity"},
                            **{**_SEENN, "optimizer": "adam", "lr": 2e-3, "weight_decay": 0.0}),
    "sew_resnet34": TrainConfig(dataset="standin-imagenet", model="sew_resnet34", time_steps=4, epochs=8,
                                test_subset=1000, model_kw={"width_mult": 0.125}, **_SEENN),
    # Table 4: VGGSNN on 10-frame event recordings at 1/8 width: 77.5 % after 6 epochs, 79.0 % after 12 (75 s an
    # epoch on one thread; 200 test recordings, +-3 points)
    "vggsnn": TrainConfig(dataset="standin-cifar10-dvs", model="vggsnn", time_steps=10, epochs=12,
                          model_kw={"width_mult": 0.125}, **_SEENN),
}

PROFILE = Profile(
    experiments=EXPERIMENTS,
    # SEENN §4.1: joint fine-tuning with a ResNet-8 policy (here at 1/4 width), one short epoch per β of the
    # sweep (47 steps): Adam, as smoke, whose policy learns from scratch within one short epoch. At 1e-3 for
    # both, the fine-tuning cost the SNN 2.5 points (SEENN-I on it 69.25 % vs 71.75 % on the warm-up), so the
    # SNN gets a tenth of the policy's rate (§4.1's one rate for both is snn_lr_scale=1).
    finetune={"seenn2": EXPERIMENTS["resnet19"].with_(epochs=1, train_subset=3000, optimizer="adam", lr=1e-3)},
    policies={"seenn2": PolicySpec(warmup="resnet19", model="resnet8", model_kw={"width_mult": 0.25},
                                   snn_lr_scale=0.1)},
    # TEAS on the converted ResNet-20 (TEAS Table 2's family) at T = 16 instead of 2048; Table 1's learning rates.
    # At full width one thread trains 6.5 img/s and evaluates 19 img/s here (7 GB at batch 128), so notebook 12's two
    # runs took 64 minutes on 3,000 training and 1,000 test images; on 2,000 and 500, 35.
    teas=TeasConfig(experiment="qcfs_resnet20", time_steps=16, adjust_epochs=2, finetune_epochs=1,
                    train_subset=2000, test_subset=500, calib_samples=500, target_ratio=0.5, init_ratio=0.7,
                    lam=0.05),
    groups={"main": {"SEENN-I": "resnet19"}, "table1": {"ResNet-19": "resnet19"},
            "conversion": {"ResNet-20": "qcfs_resnet20"},
            "imagenet": {"ResNet-34": "resnet34", "SEW-ResNet-34": "sew_resnet34"},
            "dvs": {"VGGSNN": "vggsnn"}, "seenn2": {"SEENN-II": "seenn2"}},
    # 13 spiking layers x 2 noise magnitudes, each on 500 test images at T = 16
    notebook_parameters={"06_throughput_energy": {"images": 1000, "rounds": 2},
                         "11_teas_vulnerable_layers": {"eval_samples": 500}},
    # the long chains start first: the ResNet-19 (01) -> SEENN-II (08); the QCFS ResNet-20 (03), whose SNN
    # TEAS runs, -> 11 -> 12
    start_first=("01", "03", "11", "12", "08"),
)
