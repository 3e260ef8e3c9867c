"""Budget trends (notebook 22): a claim's quantity, with its interval, at multiples of the budget of its cheapest
lever (config.BudgetLever), every other setting fixed, judged by the same evidence functions as the claim's own
notebook (seenn_lib.trends reads what they say). The trend is evidence about a verdict, never a new verdict: the
ledger keeps the profile's own (1x) rows."""
from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import replace

import pandas as pd
import torch
from tqdm.auto import tqdm

from .. import provenance
from ..claims import judge, load_claims
from ..config import (PROFILES, BudgetLever, TrainConfig, conversion_match_t, conversion_t_max, exit_t_max,
                      get_config, get_profile, run_seed)
from ..pipelines import cached_logits, converted_logits, evaluation_set, pretrained_snn, run_teas, seenn2_outputs
from ..qcfs import DEFAULT_THRESHOLD
from ..seenn2 import get_seenn2
from ..teas import vulnerability_sweep
from .evidence import conversion_evidence, model_fit, table1_evidence, table3_evidence
from .evidence_seenn2 import difficulty_evidence, seenn2_evidence
from .evidence_teas import teas_evidence, vulnerability_estimates, vulnerability_evidence
from .seenn2 import sweep_decisions

COLUMNS = ["claim_id", "lever", "multiplier", "setting", "ours", "ci_low", "ci_high", "rule", "experiment",
           "verdict", "note", "profile"]
# claims each evidence function of a retrained experiment gives (notebooks 02, 04, 03, 11)
DIRECT, IMAGENET, CONVERSION, VULNERABILITY = {"SEENN-04", "SEENN-05"}, {"SEENN-11"}, {"SEENN-09", "SEENN-10"}, \
    {"TEAS-01"}
# what each lever can move: the claims of the notebooks that read what it retrains
MOVES = {"epochs": DIRECT | IMAGENET | CONVERSION | VULNERABILITY, "qcfs_threshold": CONVERSION | VULNERABILITY,
         "finetune_epochs": {"SEENN-06", "SEENN-07", "SEENN-18", "SEENN-20"},
         "teas_epochs": {"TEAS-02", "TEAS-03", "TEAS-04", "TEAS-05", "TEAS-06", "TEAS-07"}}


def check_levers(profile: str) -> tuple[BudgetLever, ...]:
    """The profile's budget levers, each checked against what it can move (before anything is trained)."""
    prof = get_profile(profile)
    if not prof.budget_levers:
        with_levers = [name for name, p in PROFILES.items() if p.budget_levers]
        raise ValueError(f"profile {profile!r} has no budget levers (Profile.budget_levers), so notebook 22 has "
                         f"nothing to run; profiles with levers: {with_levers}")
    for lever in prof.budget_levers:
        if set(lever.claims) - MOVES[lever.lever]:
            raise ValueError(f"lever {lever.lever!r} of profile {profile!r} cannot move "
                             f"{sorted(set(lever.claims) - MOVES[lever.lever])}; it moves "
                             f"{sorted(MOVES[lever.lever])}")
        if set(lever.claims) & VULNERABILITY and set(lever.experiments) != {prof.teas.experiment}:
            raise ValueError(f"TEAS-01's lever must retrain the TEAS experiment {prof.teas.experiment!r} only, got "
                             f"{lever.experiments}")
        if lever.lever == "qcfs_threshold" and any(prof.experiments[e].model_kw.get("neuron") != "qcfs"
                                                  for e in lever.experiments):
            raise ValueError(f"lever 'qcfs_threshold' retrains QCFS ANNs only, got {lever.experiments}")
    return prof.budget_levers


def scaled(value: int, multiplier: float) -> int:
    return max(1, round(value * multiplier))


def retrained(cfg: TrainConfig, lever: str, multiplier: float) -> tuple[TrainConfig, str]:
    """An experiment's config with the lever scaled (unchanged at 1x, so it is the profile's cached model), and
    its setting in words."""
    if lever == "epochs":
        return cfg.with_(epochs=scaled(cfg.epochs, multiplier)), f"{scaled(cfg.epochs, multiplier)} epochs"
    threshold = cfg.model_kw.get("threshold", DEFAULT_THRESHOLD)
    if multiplier == 1:
        return cfg, f"λ from {threshold:g}"
    return cfg.with_(model_kw={**cfg.model_kw, "threshold": threshold * multiplier}), \
        f"λ from {threshold * multiplier:g}"


def _experiment_rows(profile: str, lever: BudgetLever, experiment: str, multiplier: float, device,
                     vulnerability_samples: int) -> tuple[list[pd.DataFrame], str]:
    """Judged rows of the lever's claims on one retrained experiment, each under the experiment label of the
    claim's own notebook."""
    cfg, setting = retrained(get_config(profile, experiment), lever.lever, multiplier)
    wanted, rows = set(lever.claims), []
    if wanted & (DIRECT | IMAGENET):
        logits, targets = cached_logits(cfg, device=device)
        evidence = {**(table1_evidence(logits, targets) if wanted & DIRECT else {}),
                    **(table3_evidence(logits, targets) if wanted & IMAGENET else {})}
        rows.append(_judged(evidence, wanted, profile, experiment, **model_fit(logits, targets)))
    if wanted & CONVERSION:
        logits, targets = converted_logits(cfg, conversion_t_max(cfg), device=device)
        evidence = conversion_evidence(logits, targets, conversion_match_t(cfg), exit_t_max(cfg))
        rows.append(_judged(evidence, wanted, profile, experiment, **model_fit(logits, targets)))
    if wanted & VULNERABILITY:
        rows.append(_vulnerability_rows(profile, cfg, device, vulnerability_samples))
    return rows, setting


def _judged(evidence: dict, wanted: set[str], profile: str, experiment: str, **fit) -> pd.DataFrame:
    return judge({c: e for c, e in evidence.items() if c in wanted}, profile, experiment, **fit)


def _vulnerability_rows(profile: str, cfg: TrainConfig, device, samples: int) -> pd.DataFrame:
    """TEAS-01 as notebook 11 judges it, on the retrained SNN, at the paper's u = 0.1 only."""
    tcfg, seed = get_profile(profile).teas, run_seed()
    snn, t_max = pretrained_snn(cfg, tcfg, device)
    sweep = vulnerability_sweep(snn, t_max, evaluation_set(cfg, samples), [0.1], device, seed=seed)
    evidence = vulnerability_evidence(vulnerability_estimates(sweep, tcfg.activity, seed=seed))
    return judge(evidence, profile, f"{tcfg.experiment}, u = 0.1", accuracy=sweep.table().accuracy_clean.iloc[0])


def _seenn2_rows(profile: str, lever: BudgetLever, multiplier: float, device, betas, difficulty_beta: float
                 ) -> tuple[list[pd.DataFrame], str]:
    """SEENN-06 / -20 (notebook 08's β sweep) and SEENN-18 (notebook 09's β) after the scaled joint fine-tuning."""
    setup = get_seenn2(profile)
    epochs = scaled(setup.finetune.epochs, multiplier)
    setup = replace(setup, finetune=setup.finetune.with_(epochs=epochs))
    wanted, rows = set(lever.claims), []
    warm_logits, targets = cached_logits(setup.warmup, setup.actions[-1], device=device)
    if wanted - {"SEENN-18"}:
        decisions = sweep_decisions(setup, betas, warm_logits, targets, device=device)
        rows.append(_judged(seenn2_evidence(decisions), wanted, profile, "seenn2", **model_fit(warm_logits, targets)))
    if "SEENN-18" in wanted:
        out = seenn2_outputs(setup, difficulty_beta, device=device)
        evidence = difficulty_evidence(out["policy_logits"], out["mean_logits"], out["targets"], setup.actions)
        rows.append(judge(evidence, profile, "seenn2", **model_fit(out["mean_logits"], out["targets"])))
    return rows, f"{epochs} fine-tuning epoch{'s' * (epochs > 1)}"


def _teas_rows(profile: str, lever: BudgetLever, multiplier: float, device) -> tuple[list[pd.DataFrame], str]:
    """Notebook 12's TEAS claims from the TEAS run and its twin without the regulariser, both with the adjustment
    and fine-tuning epochs scaled."""
    base = get_profile(profile).teas
    tcfg = base.with_(adjust_epochs=scaled(base.adjust_epochs, multiplier),
                      finetune_epochs=scaled(base.finetune_epochs, multiplier)) if multiplier != 1 else base
    main, no_reg = run_teas(profile, device, tcfg), run_teas(profile, device, tcfg.with_(lam=0.0))
    evidence = teas_evidence(main, no_reg)
    rows = [_judged(evidence, set(lever.claims), profile, base.experiment,
                    accuracy=main["summary"].snn_accuracy.iloc[0])]
    return rows, f"{tcfg.adjust_epochs} adjustment + {tcfg.finetune_epochs} fine-tuning epochs"


def lever_rows(profile: str, lever: BudgetLever, multiplier: float, device="cpu", betas=(),
               difficulty_beta: float = 64.0, vulnerability_samples: int = 0) -> pd.DataFrame:
    """The lever's claims judged at one multiplier: the trend table's rows (COLUMNS). `betas`: the SEENN-II
    sweep (empty: the profile's); `difficulty_beta`: notebook 09's β; `vulnerability_samples`: notebook 11's
    test inputs (0: all)."""
    if lever.lever in ("epochs", "qcfs_threshold"):
        parts = [_experiment_rows(profile, lever, e, multiplier, device, vulnerability_samples)
                 for e in lever.experiments]
        rows, setting = [r for p in parts for r in p[0]], "; ".join(p[1] for p in parts)
    elif lever.lever == "finetune_epochs":
        rows, setting = _seenn2_rows(profile, lever, multiplier, device,
                                     list(betas or get_profile(profile).seenn2_betas), difficulty_beta)
    else:
        rows, setting = _teas_rows(profile, lever, multiplier, device)
    return pd.concat(rows, ignore_index=True).assign(lever=lever.lever, multiplier=float(multiplier),
                                                     setting=setting).join(_rules(), on="claim_id")[COLUMNS]


def trend_table(profile: str, levers: tuple[BudgetLever, ...], device="cpu", workers: int = 1, **kw
                ) -> pd.DataFrame:
    """lever_rows (keywords `kw`) for every lever and multiplier, in that order. `workers` > 1: that many
    processes at once, each taking the next setting, retrainings first in the levers' order (a profile lists
    its longest first) and the 1x settings, which read cached models, last."""
    if workers < 1:
        raise ValueError(f"workers (settings retrained at once) must be >= 1, got {workers}")
    tasks = [(lever, m) for lever in levers for m in sorted(lever.multipliers)]
    if workers == 1:
        parts = [lever_rows(profile, lever, m, device, **kw) for lever, m in tqdm(tasks, desc="budget settings")]
    else:
        parts = [None] * len(tasks)
        order = sorted(range(len(tasks)), key=lambda i: tasks[i][1] == 1)
        # spawn: a forked child of a process that has run OpenMP threads can hang in them
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"),
                                 initializer=torch.set_num_threads,
                                 initargs=(max(1, torch.get_num_threads() // workers),)) as pool:
            running = {pool.submit(lever_rows, profile, *tasks[i], device, **kw): i for i in order}
            for done in tqdm(as_completed(running), total=len(tasks), desc=f"budget settings, {workers} at once"):
                parts[running[done]] = done.result()
    return pd.concat(parts, ignore_index=True)


def stamped(table: pd.DataFrame, profile: str) -> pd.DataFrame:
    """The trend table as saved: each row stamped with this run's id (the report reads its own run's rows only)."""
    return table.assign(run_id=provenance.run_id(profile), seed=run_seed())


def _rules() -> pd.Series:
    return load_claims().rule
