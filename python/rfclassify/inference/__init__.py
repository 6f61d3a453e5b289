"""Serving a model on a stream: resolve it, load a backend, window the IQ, classify off-thread.

No GNU Radio here (DESIGN.md rule 2): the block, the receiver and ``rfclassify classify`` all
use this engine.
"""

from .engine import Classifier, softmax
from .recording import Segment, recording_segments, recording_windows
from .resolve import DEFAULT_MODEL, resolve_model, shipped_models
from .windowing import StreamWindower
from .worker import Arriving, Done, InferenceWorker, Job

__all__ = [
    "DEFAULT_MODEL",
    "Arriving",
    "Classifier",
    "Done",
    "InferenceWorker",
    "Job",
    "Segment",
    "StreamWindower",
    "recording_segments",
    "recording_windows",
    "resolve_model",
    "shipped_models",
    "softmax",
]
