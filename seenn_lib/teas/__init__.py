"""TEAS: per-layer timesteps chosen from spiking activity (anonymous ICLR submission, §3).

- Spiking activity #Act(l) = fired spikes / timesteps (Eq. 2), per layer and per sample, from forward hooks;
  TeasConfig.activity = "rate" divides it by the layer's neurons instead.
- Vulnerable layers (§3.1, Fig. 3): noise (in units of the layer's threshold) on one layer's input at a time.
- Spike-train conversion between layers of different T (§3.2, Eq. 3): rate coding (SNN-R) and time coding
  (SNN-T), with a straight-through gradient so the network trains through it.
- Training (§3.3): initial allocation from activity, the regulariser of Eq. 6 (weaker on active layers) in
  the loss of Eq. 8, periodic temporal adjustment, a final adjustment and fine-tuning (Adam, TEAS Table 1).
- Residual networks (ResNet-20/-34 in TEAS Table 2; the paper does not say how): the layers whose trains meet at
  a residual sum run one T (network.time_groups), allocated from their most active member.

No official code exists; the choices the paper leaves open are stated where they are made.
"""
from ..config import TeasConfig
from .activity import (VulnerabilitySweep, activity_column, activity_table, layer_summary, rank_correlation,
                       vulnerability_sweep, vulnerability_table)
from .allocation import activity_regularizer, adjust, allocate, teas_loss
from .network import (TemporalAdaptiveNet, activity_measure, input_noise, layer_activity, layer_names,
                      layer_parameters, run_adaptive, run_fixed_t, run_stepwise, time_groups)
from .spike_trains import convert_train, fire_potential, leading_train, rate_convert, single_spike_train, time_convert
from .training import TeasTraining, teas_key

__all__ = ["TeasConfig", "TeasTraining", "TemporalAdaptiveNet", "VulnerabilitySweep", "activity_column",
           "activity_measure", "activity_regularizer", "activity_table", "adjust", "allocate", "convert_train",
           "fire_potential", "input_noise", "layer_activity", "layer_names", "layer_parameters", "layer_summary",
           "leading_train", "rank_correlation", "rate_convert", "run_adaptive", "run_fixed_t", "run_stepwise",
           "single_spike_train", "teas_key", "teas_loss", "time_convert", "time_groups", "vulnerability_sweep",
           "vulnerability_table"]
