#!/usr/bin/env python3
"""Look at a recording the way a model will: read SigMF, cut windows, compute images.

.venv/bin/rfclassify synth testpattern --out /tmp/tp.sigmf-meta
.venv/bin/python examples/frontend_tour.py /tmp/tp.sigmf-meta
"""

import sys

from rfclassify.dsp import Frontend, FrontendConfig, sliding_windows
from rfclassify.io import open_recording

rec = open_recording(sys.argv[1])
print(f"{rec.path.name}: {rec.num_samples} samples at {rec.sample_rate / 1e6:g} MS/s")

# The config travels with a model; here we take the defaults (20 ms windows, 128x128 images).
frontend = Frontend(FrontendConfig())
geo = frontend.geometry(rec.sample_rate)  # refuses rates the config does not serve
print(f"window: {geo.window_length} samples, {geo.frames_per_column} STFT frames per column")

# Half-overlapping windows over the first chunk; the view copies nothing.
samples = rec.read(0, min(rec.num_samples, 8 * geo.window_length))
windows = sliding_windows(samples, geo.window_length, hop=geo.window_length // 2)

images, valid = frontend.compute_with_mask(windows, rec.sample_rate)
print(f"images: {images.shape} {images.dtype}, invalid windows: {int((~valid).sum())}")

# Which row shows the CW carrier of the test pattern (+0.39 of the rate)?
row = geo.row_of_frequency(0.39 * rec.sample_rate)
print(f"carrier row {row}: mean level {images[:, 0, row].mean():+.2f} (standardised units)")
