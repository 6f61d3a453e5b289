"""Datasets: the recipe, the builder, the parameter table, reading a built dataset, the suite.

Depends only on ``signals`` and ``dsp`` (no torch, no GNU Radio), so the simulated source, the
preview and the exporter's calibration data can use it without reaching up into ``training``.
"""
