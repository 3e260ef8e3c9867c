"""The paper profile: the papers' datasets, architectures and hyper-parameters (GPU)."""
from .schema import PolicySpec, Profile, TeasConfig, TrainConfig

EXPERIMENTS = {
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
}

WARMUPS = ("resnet19_cifar10", "resnet19_cifar100", "vgg16_cifar10", "vgg16_cifar100", "resnet34_imagenet",
           "sew_resnet34_imagenet", "vggsnn_cifar10_dvs")
# the SEENN-II rows of Tables 1, 3, 4: joint fine-tuning from each TET-trained SNN, SEENN §4.1: SGD, 75
# epochs at lr 0.01; the policy is a ResNet-8 (ReLU), on ImageNet fed 112x112 images
FINETUNE = {f"seenn2_{w}": EXPERIMENTS[w].with_(epochs=75, lr=0.01) for w in WARMUPS}
POLICIES = {f"seenn2_{w}": PolicySpec(warmup=w, model="resnet8", input_size=112 if "imagenet" in w else None)
            for w in WARMUPS}

PROFILE = Profile(
    experiments=EXPERIMENTS,
    finetune=FINETUNE,
    policies=POLICIES,
    # TEAS Table 1: Adam, lr 5e-4 / 1e-4, 30 retraining epochs after the 150-epoch pretraining;
    # Table 2 VGG-16 CIFAR-10: T = 2048 -> 40.5 on average (ratio 0.02)
    teas=TeasConfig(experiment="teas_vgg16_cifar10", time_steps=2048, adjust_epochs=30, adjust_every=3,
                    finetune_epochs=30, batch_size=16, calib_samples=10000, target_ratio=0.02, init_ratio=0.1),
    groups={"main": {"SEENN-I": "resnet19_cifar10"},
            "table1": {n: n for n in ("resnet19_cifar10", "resnet19_cifar100", "vgg16_cifar10", "vgg16_cifar100")},
            "conversion": {n: n for n in EXPERIMENTS if n.startswith("qcfs_")},
            "imagenet": {"ResNet-34": "resnet34_imagenet", "SEW-ResNet-34": "sew_resnet34_imagenet"},
            "dvs": {"VGGSNN": "vggsnn_cifar10_dvs"}, "seenn2": {"SEENN-II": "seenn2_resnet19_cifar10"}},
    papers_data=True,
    paper_tables={
        "SEENN Table 1": ("resnet19_cifar10", "resnet19_cifar100", "vgg16_cifar10", "vgg16_cifar100",
                          "seenn2_resnet19_cifar10", "seenn2_resnet19_cifar100", "seenn2_vgg16_cifar10",
                          "seenn2_vgg16_cifar100"),
        "SEENN Table 2": ("qcfs_resnet18_cifar10", "qcfs_resnet18_cifar100", "qcfs_resnet20_cifar10",
                          "qcfs_resnet20_cifar100"),
        "SEENN Table 3": ("resnet34_imagenet", "sew_resnet34_imagenet", "qcfs_resnet34_imagenet",
                          "seenn2_resnet34_imagenet", "seenn2_sew_resnet34_imagenet"),
        "SEENN Table 4": ("vggsnn_cifar10_dvs", "seenn2_vggsnn_cifar10_dvs"),
        "TEAS Table 2": ("teas_vgg16_cifar10", "teas_resnet20_cifar10", "teas_resnet20_cifar100",
                         "teas_vgg16_cifar100", "teas_resnet34_imagenet", "teas_vgg16_imagenet", "teas"),
    },
)
