"""The headless receiver (``rfclassify_rx.py``): config, sources, flowgraph, the app."""
