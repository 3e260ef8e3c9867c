"""Checks on data/paper_reference.csv, the table of every number printed in the tables of
the SEENN (NeurIPS 2023) and TEAS papers."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

CSV_PATH = Path(__file__).resolve().parents[1] / "data" / "paper_reference.csv"

COLUMNS = ["paper", "table", "dataset", "model", "method", "training", "timesteps", "accuracy", "source"]
PAPERS = {"SEENN", "TEAS"}
DATASETS = {"CIFAR-10", "CIFAR-100", "ImageNet", "CIFAR10-DVS"}
# TEAS Table 2 also reports directly trained SNNs on MNIST.
TEAS_EXTRA_DATASETS = {"MNIST"}
TRAINING = {"direct", "conversion"}

# (table, dataset, model, method, timesteps, accuracy); None means the cell is empty.
ANCHORS = [
    ("SEENN Table 1", "CIFAR-10", "ResNet-19", "SEENN-I", 1.09, 96.07),
    ("SEENN Table 1", "CIFAR-10", "ResNet-19", "SEENN-I", 1.20, 96.38),
    ("SEENN Table 1", "CIFAR-10", "ResNet-19", "SEENN-I", 1.34, 96.44),
    ("SEENN Table 1", "CIFAR-10", "ResNet-19", "SEENN-II", 1.08, 96.01),
    ("SEENN Table 1", "CIFAR-100", "ResNet-19", "SEENN-II", 1.21, 80.23),
    ("SEENN Table 2", "CIFAR-10", "ResNet-18", "QCFS", 2, 75.44),
    ("SEENN Table 2", "CIFAR-10", "ResNet-18", "QCFS", 4, 90.43),
    ("SEENN Table 2", "CIFAR-10", "ResNet-18", "QCFS", 8, 94.82),
    ("SEENN Table 2", "CIFAR-10", "ResNet-18", "SEENN-I", 1.18, 91.08),
    ("SEENN Table 2", "CIFAR-10", "ResNet-18", "SEENN-I", 1.40, 93.63),
    ("SEENN Table 2", "CIFAR-10", "ResNet-18", "SEENN-I", 2.01, 95.08),
    ("SEENN Table 3", "ImageNet", "ResNet-34", "QCFS", 32, 69.37),
    ("SEENN Table 3", "ImageNet", "ResNet-34", "SEENN-I", 23.47, 70.18),
    ("SEENN Table 4", "CIFAR10-DVS", "VGGSNN", "SEENN-II", 4.49, 82.6),
    ("SEENN Table 5", "CIFAR-10", "ResNet-19", "AET", 1.1309, None),
    ("SEENN Table 5", "CIFAR-10", "ResNet-19", "empirical AET", 1.1188, None),
    ("TEAS Table 2", "CIFAR-10", "ResNet-20", "SNN", 2048, 91.42),
    ("TEAS Table 2", "CIFAR-10", "ResNet-20", "TEAS", 45.5, 91.43),
    ("TEAS Table 2", "CIFAR-10", "VGG-16", "SNN", 2048, 93.63),
    ("TEAS Table 2", "CIFAR-10", "VGG-16", "TEAS", 40.5, 93.66),
    ("TEAS Table 2", "ImageNet", "ResNet-34", "SNN", 4096, 69.93),
    ("TEAS Table 2", "ImageNet", "ResNet-34", "TEAS", 83.1, 69.87),
]

REQUIRED_TABLES = [f"SEENN Table {n}" for n in range(1, 6)] + ["TEAS Table 2"]


@pytest.fixture(scope="module")
def ref() -> pd.DataFrame:
    assert CSV_PATH.is_file(), f"missing {CSV_PATH}"
    df = pd.read_csv(CSV_PATH, dtype=str, keep_default_na=False)
    for col in ("timesteps", "accuracy"):
        df[col] = pd.to_numeric(df[col].replace("", None), errors="raise")
    return df


def test_header():
    with CSV_PATH.open(encoding="utf-8") as fh:
        header = fh.readline().rstrip("\r\n")
    assert header == ",".join(COLUMNS)


def test_columns(ref):
    assert list(ref.columns) == COLUMNS
    assert len(ref) > 0


def test_no_duplicated_rows(ref):
    assert not ref.duplicated().any(), ref[ref.duplicated(keep=False)]
    key = ["table", "dataset", "model", "method", "timesteps", "accuracy"]
    assert not ref.duplicated(subset=key).any(), ref[ref.duplicated(subset=key, keep=False)]


def test_row_values(ref):
    assert set(ref["paper"]) <= PAPERS
    for row in ref.itertuples(index=False):
        assert row.table.startswith(f"{row.paper} Table "), row
        assert row.table.split(" Table ")[1].isdigit(), row
        allowed = DATASETS | (TEAS_EXTRA_DATASETS if row.paper == "TEAS" else set())
        assert row.dataset in allowed, row
        assert row.training in TRAINING, row
        assert row.model and row.method and row.source, row
        assert not (pd.isna(row.accuracy) and pd.isna(row.timesteps)), row


def test_numeric_ranges(ref):
    acc = ref["accuracy"].dropna()
    assert ((acc >= 0) & (acc <= 100)).all(), ref.loc[acc[(acc < 0) | (acc > 100)].index]
    t = ref["timesteps"].dropna()
    assert (t > 0).all(), ref.loc[t[t <= 0].index]


@pytest.mark.parametrize("table,dataset,model,method,timesteps,accuracy", ANCHORS)
def test_anchor_present(ref, table, dataset, model, method, timesteps, accuracy):
    sel = (
        (ref["table"] == table)
        & (ref["dataset"] == dataset)
        & (ref["model"] == model)
        & (ref["method"] == method)
    )
    sel &= ref["timesteps"].isna() if timesteps is None else ref["timesteps"] == timesteps
    sel &= ref["accuracy"].isna() if accuracy is None else ref["accuracy"] == accuracy
    assert sel.sum() == 1, (table, dataset, model, method, timesteps, accuracy)


def test_teas_ann_accuracy_present(ref):
    ann = ref[(ref["table"] == "TEAS Table 2") & (ref["method"] == "ANN")]
    assert ann["timesteps"].isna().all()
    assert ((ann["dataset"] == "CIFAR-10") & (ann["model"] == "ResNet-20") & (ann["accuracy"] == 91.47)).sum() == 1


def test_seenn_table5_has_no_accuracy(ref):
    t5 = ref[ref["table"] == "SEENN Table 5"]
    assert t5["accuracy"].isna().all()
    assert set(t5["method"]) == {"AET", "empirical AET"}


@pytest.mark.parametrize("table", REQUIRED_TABLES)
def test_table_has_rows(ref, table):
    assert (ref["table"] == table).sum() >= 3
