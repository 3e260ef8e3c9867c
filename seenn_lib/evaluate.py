"""Where the evaluation names live now: seenn_lib.logits (collect_logits: evaluate a model), seenn_lib.readout
(running_mean) and seenn_lib.pipelines (cached_logits: the test logits of a config, trained first if needed).
Kept so that code written against seenn_lib.evaluate keeps working."""
from .logits import collect_logits
from .pipelines import cached_logits, logits_artifact
from .readout import running_mean

__all__ = ["cached_logits", "collect_logits", "logits_artifact", "running_mean"]
