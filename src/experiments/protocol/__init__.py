"""The fair-comparison protocol: an equal search per model (trial 0 = its defaults) nested
in every outer split, selection on validation only, then each split's chosen configuration
re-trained with several seeds and scored on that split's test rows.

Kept free of Hydra's launch machinery and light to import (the sweeper plugins import it
at every start): `run_protocol` takes a ``launch`` function, so a learning curve, a test or
another sweeper can drive it, and `protocol_batches` gives its jobs batch by batch, so that
a suite (`experiments.protocol.suite`, the protocol on each of several datasets) launches
the batches of all its datasets together. `experiments.protocol.checks` (which imports the
model kinds) is imported where a protocol's input is checked. `run_curve` runs the
comparison at several training-set sizes (a learning curve), the protocol or each model's
defaults at each.
"""

from experiments.protocol.curve import CurveSettings, resolve_sizes, run_curve
from experiments.protocol.jobs import Job, Trial, default_job, final_job, search_job
from experiments.protocol.run import (
    Choices,
    ModelSearch,
    final_jobs,
    protocol_batches,
    run_batches,
    run_protocol,
    search,
)
from experiments.protocol.selection import best_trial
from experiments.protocol.settings import ProtocolSettings

__all__ = [
    "Choices",
    "CurveSettings",
    "Job",
    "ModelSearch",
    "ProtocolSettings",
    "Trial",
    "best_trial",
    "default_job",
    "final_job",
    "final_jobs",
    "protocol_batches",
    "resolve_sizes",
    "run_batches",
    "run_curve",
    "run_protocol",
    "search",
    "search_job",
]
