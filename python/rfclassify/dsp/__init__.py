"""The spectrogram frontend shared by training and serving (DESIGN.md rule 1)."""

from .config import MAX_SUPPORTED_RATE, MIN_SUPPORTED_RATE, FrontendConfig
from .geometry import StftGeometry
from .spectrogram import Frontend, SpectrogramInProgress, normalise, sliding_windows

__all__ = [
    "MAX_SUPPORTED_RATE",
    "MIN_SUPPORTED_RATE",
    "Frontend",
    "FrontendConfig",
    "SpectrogramInProgress",
    "StftGeometry",
    "normalise",
    "sliding_windows",
]
