"""Figures for people: spectrograms with real axes (matplotlib, headless Agg backend)."""

from .spectrogram_plot import render_spectrogram

__all__ = ["render_spectrogram"]
