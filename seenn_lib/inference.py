"""Dynamic inference engine: run a spiking network timestep by timestep on a batch; after each step an
exit policy says which samples are done, and those leave the batch and every neuron's state before the
next step (SpikingNet.keep), so an exited sample costs nothing more. Freed slots can be refilled from
the data stream, so the batch stays full.

For a given model and policy the engine gives the same predictions and exit timesteps as the cached
per-t logits simulation (seenn_lib.exits on seenn_lib.logits.collect_logits): it takes the running mean f_t
from seenn_lib.readout and asks the same SEENN-I test (exits.confident).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Iterator

import torch
from torch import nn
from tqdm.auto import tqdm

from .devices import autocast, place, resolve_device
from .exits import check_alpha, check_score, confident
from .readout import add_step, mean_so_far


class ExitPolicy:
    """Decides, after each timestep, which samples of the batch are done.

    `plan(x)` runs once on the samples entering the batch (SEENN-II's policy network decides there);
    `done(t, mean_logits, plan)` gets each sample's timesteps so far t [B], its running mean f_t [B, C]
    and its plan, and returns a bool mask [B]. The engine also stops every sample at t_max.
    """

    def plan(self, x: torch.Tensor) -> torch.Tensor | None:
        return None

    def done(self, t: torch.Tensor, mean_logits: torch.Tensor, plan: torch.Tensor | None) -> torch.Tensor:
        raise NotImplementedError


class FixedT(ExitPolicy):
    """The static SNN: every sample runs `time_steps` steps."""

    def __init__(self, time_steps: int):
        if time_steps < 1:
            raise ValueError(f"time_steps must be >= 1, got {time_steps}")
        self.time_steps = int(time_steps)

    def done(self, t, mean_logits, plan):
        return t >= self.time_steps


class ConfidenceExit(ExitPolicy):
    """SEENN-I: done once the confidence score reaches alpha (default max softmax(f_t(x)), SEENN Eq. 5;
    exits.confidence lists the official code's two others)."""

    def __init__(self, alpha: float, score: str = "mean"):
        self.alpha, self.score = check_alpha(alpha), check_score(score)

    def done(self, t, mean_logits, plan):
        return confident(mean_logits, self.alpha, self.score, t)


class PlannedExit(ExitPolicy):
    """SEENN-II (or any fixed plan): `choose(x [B, ...]) -> [B]` timesteps in 1..t_max, decided from the
    input before the first step; the sample is done when it has run that many steps."""

    def __init__(self, choose: Callable[[torch.Tensor], torch.Tensor]):
        if not callable(choose):
            raise ValueError(f"a planned exit needs a callable x -> timesteps per sample, got {choose!r}")
        self.choose = choose

    def plan(self, x):
        chosen = torch.as_tensor(self.choose(x), device=x.device).long().view(-1)
        if chosen.numel() != x.shape[0] or (chosen < 1).any():
            raise ValueError(f"the exit plan must give one timestep >= 1 per sample ({x.shape[0]}), "
                             f"got {chosen.tolist()[:8]}...")
        return chosen

    def done(self, t, mean_logits, plan):
        return t >= plan


def as_policy(policy) -> ExitPolicy:
    """An ExitPolicy, or a callable x -> timesteps per sample (SEENN-II) wrapped as a PlannedExit."""
    if isinstance(policy, ExitPolicy):
        return policy
    if callable(policy):
        return PlannedExit(policy)
    raise ValueError(f"policy must be an ExitPolicy (FixedT, ConfidenceExit, PlannedExit) or a callable "
                     f"x -> timesteps per sample, got {policy!r}")


@dataclass
class EngineResult:
    pred: torch.Tensor  # [N] class at exit
    exit_t: torch.Tensor  # [N] timesteps run, 1..t_max
    steps: int  # model.step calls (batched timesteps)

    @property
    def avg_timesteps(self) -> float:
        return float(self.exit_t.double().mean())


class _Slots:
    """The samples currently in the batch: inputs, stream index, timesteps run, output sum, plan."""

    def __init__(self):
        self.x = self.index = self.t = self.total = self.plan = None

    def __len__(self):
        return 0 if self.index is None else len(self.index)

    def add(self, x, index, plan):
        t = torch.zeros(len(x), dtype=torch.long, device=x.device)
        if self.index is None:  # x may view the caller's data: copy, since replace() writes into it
            self.x, self.index, self.t, self.plan = x.clone(), index, t, plan
            return
        self.x, self.index, self.t = torch.cat([self.x, x]), torch.cat([self.index, index]), torch.cat([self.t, t])
        self.plan = None if plan is None else torch.cat([self.plan, plan])
        self.total = torch.cat([self.total, self.total.new_zeros(len(x), *self.total.shape[1:])])

    def accumulate(self, out):
        self.total = add_step(self.total, out)
        self.t += 1
        return mean_so_far(self.total, self.t)

    def replace(self, mask, x, index, plan):
        """New samples take the slots where mask is True, in place: the batch keeps its size and memory."""
        self.x[mask], self.index[mask], self.t[mask], self.total[mask] = x, index, 0, 0
        if plan is not None:
            self.plan[mask] = plan

    def keep(self, mask):
        self.x, self.index, self.t, self.total = self.x[mask], self.index[mask], self.t[mask], self.total[mask]
        self.plan = None if self.plan is None else self.plan[mask]


def _step_input(slots: _Slots) -> torch.Tensor:
    """A static image enters every step (direct encoding); event frames [B, T, ...] give frame t."""
    if slots.x.dim() != 5:
        return slots.x
    return slots.x[torch.arange(len(slots), device=slots.x.device), slots.t]


def _chunks(data, batch_size: int) -> Iterator[torch.Tensor]:
    """Inputs from a tensor [N, ...] or an iterable of x or (x, y) batches, re-cut to what is asked."""
    if isinstance(data, torch.Tensor):
        yield from data.split(batch_size)
        return
    for batch in data:
        yield batch[0] if isinstance(batch, (tuple, list)) else batch


class _Stream:
    """Samples in order from the data, `take(n)` at a time, moved to the device. A tensor is sliced
    (views, no copies); batches from an iterable are buffered and re-cut."""

    def __init__(self, data, batch_size: int, device):
        self._tensor = data if isinstance(data, torch.Tensor) else None
        self._source = None if self._tensor is not None else _chunks(data, batch_size)
        self._buffer, self._device, self.taken, self._last = [], device, 0, 0

    def take(self, n: int) -> torch.Tensor | None:
        out = self._tensor[self.taken:self.taken + n] if self._tensor is not None else self._take_buffered(n)
        if out is None or not len(out):
            return None
        self.taken += len(out)
        self._last = len(out)
        return out.to(self._device, non_blocking=True)

    def _take_buffered(self, n: int) -> torch.Tensor | None:
        have = sum(len(b) for b in self._buffer)
        while have < n:
            nxt = next(self._source, None)
            if nxt is None:
                break
            self._buffer.append(nxt)
            have += len(nxt)
        if not have:
            return None
        pool = torch.cat(self._buffer) if len(self._buffer) > 1 else self._buffer[0]
        out, rest = pool[:n], pool[n:]
        self._buffer = [rest] if len(rest) else []
        return out

    def last_index(self) -> torch.Tensor:
        """Stream positions of the samples the last take() returned."""
        return torch.arange(self.taken - self._last, self.taken, device=self._device)


def _release(model: nn.Module, slots: _Slots, done: torch.Tensor, n_done: int, stream: _Stream,
             policy: ExitPolicy, refill: bool) -> None:
    """Free the slots of the n_done `done` samples: refill them in place from the stream when it has
    enough, else drop them from the batch and every neuron's state (and append the stream's last few)."""
    fresh = stream.take(n_done) if refill else None
    if fresh is not None and len(fresh) == n_done:  # refill in place, no compaction
        slots.replace(done, fresh, stream.last_index(), policy.plan(fresh))
        model.restart(done)
        return
    keep = ~done
    model.keep(keep)
    slots.keep(keep)
    if fresh is not None:  # the stream's last few samples join the shrunken batch
        model.grow(len(fresh))
        slots.add(fresh, stream.last_index(), policy.plan(fresh))


def run_engine(model: nn.Module, data, t_max: int, policy, batch_size: int = 256, refill: bool = True,
               device="cpu", progress: bool = False) -> EngineResult:
    """Classify every sample of `data` (a tensor [N, ...] or an iterable of x / (x, y) batches) with
    early exit: at most `batch_size` samples run together, each leaves the batch when `policy` says it
    is done or at `t_max`; with `refill`, freed slots are filled from the stream before the next step,
    otherwise a new batch starts when the whole batch has exited. Results are in stream order."""
    if t_max < 1 or batch_size < 1:
        raise ValueError(f"t_max and batch_size must be >= 1, got {t_max}, {batch_size}")
    if not hasattr(model, "step") or not hasattr(model, "keep"):
        raise ValueError(f"{type(model).__name__} has no step()/keep(); the engine needs a "
                         "seenn_lib.layers.SpikingNet: wrap other networks with seenn_lib.adapters.adapt(model)")
    policy, device = as_policy(policy), resolve_device(device)
    place(model, device).eval()
    stream, slots = _Stream(data, batch_size, device), _Slots()
    preds, exits, order, steps = [], [], [], 0
    bar = tqdm(desc="early exit", unit="img", disable=not progress, leave=False)
    with torch.inference_mode():
        model.reset()
        while True:
            if not len(slots):
                x = stream.take(batch_size)
                if x is None:
                    break
                model.reset()
                slots = _Slots()
                slots.add(x, stream.last_index(), policy.plan(x))
            with autocast(device):
                out = model.step(_step_input(slots))
            mean = slots.accumulate(out)
            steps += 1
            done = policy.done(slots.t, mean, slots.plan) | (slots.t >= t_max)
            n_done = int(done.sum())  # the step's one host synchronisation: how many samples exit
            if n_done:
                preds.append(mean[done].argmax(-1))
                exits.append(slots.t[done])
                order.append(slots.index[done])
                bar.update(n_done)
                _release(model, slots, done, n_done, stream, policy, refill)
        model.reset()
    bar.close()
    return _in_stream_order(preds, exits, order, steps)


def _in_stream_order(preds: list, exits: list, order: list, steps: int) -> EngineResult:
    if not order:
        raise ValueError("the data stream is empty: nothing to classify")
    index = torch.cat(order)
    pred, exit_t = torch.empty_like(index), torch.empty_like(index)
    pred[index], exit_t[index] = torch.cat(preds), torch.cat(exits)
    return EngineResult(pred.cpu(), exit_t.cpu(), steps)


def early_exit(model: nn.Module, x: torch.Tensor, t_max: int, alpha: float, device=None
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """SEENN-I on one batch [B, ...] with batch compaction: (pred [B], exit_t [B] in 1..t_max)."""
    device = device if device is not None else x.device
    result = run_engine(model, x, t_max, ConfidenceExit(alpha), batch_size=len(x), refill=False,
                        device=device)
    return result.pred, result.exit_t


def one_at_a_time(model: nn.Module, data, t_max: int, policy, device="cpu",
                  progress: bool = False) -> EngineResult:
    """The official code's timing loop: each image alone, stepped until its exit, with nothing else
    per step than the step, the running mean and the exit test."""
    if t_max < 1:
        raise ValueError(f"t_max must be >= 1, got {t_max}")
    policy, device = as_policy(policy), resolve_device(device)
    place(model, device).eval()
    preds, exits, steps = [], [], 0
    with torch.inference_mode():
        for chunk in tqdm(_chunks(data, 256), desc="one at a time", disable=not progress, leave=False):
            for x in chunk.to(device).split(1):
                plan, total = policy.plan(x), None
                model.reset()
                for t in range(1, t_max + 1):
                    with autocast(device):
                        total = add_step(total, model.step(x))
                    mean = mean_so_far(total, t)
                    if t == t_max or policy.done(torch.full((1,), t, device=device), mean, plan):
                        break
                steps += t
                preds.append(mean.argmax(-1))
                exits.append(t)
        model.reset()
    return EngineResult(torch.cat(preds).cpu(), torch.tensor(exits), steps)
