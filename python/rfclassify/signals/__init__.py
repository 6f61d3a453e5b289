"""Signal synthesis: standards-faithful LTE / NR and the other emitters a station meets.

For now it holds a frontend test pattern (tone, chirp, OFDM bursts in noise) whose every component
sits at a known time and frequency.
"""

from .testpattern import Component, test_pattern

__all__ = ["Component", "test_pattern"]
