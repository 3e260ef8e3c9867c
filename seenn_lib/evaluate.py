"""Where the evaluation names live now: seenn_lib.logits (running_mean, collect_logits: evaluate a model)
and seenn_lib.pipelines (cached_logits: the test logits of a config, trained first if needed). Kept so that
code written against seenn_lib.evaluate keeps working."""
from .logits import collect_logits, running_mean
from .pipelines import cached_logits, logits_artifact

__all__ = ["cached_logits", "collect_logits", "logits_artifact", "running_mean"]
