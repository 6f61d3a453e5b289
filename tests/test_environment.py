"""The runtime the whole project stands on: GNU Radio's Python bindings inside our venv."""

import sys

import numpy as np


def test_numpy_is_below_2_because_gnuradio_3_10_bindings_need_it():
    assert int(np.__version__.split(".")[0]) < 2, np.__version__


def test_venv_sees_gnuradio_and_runs_a_real_flowgraph():
    from gnuradio import blocks, gr

    assert gr.version().startswith("3.10"), gr.version()
    data = (np.arange(10_000) * (1 + 1j)).astype(np.complex64)
    tb = gr.top_block()
    src = blocks.vector_source_c(data.tolist(), False)
    sink = blocks.vector_sink_c()
    tb.connect(src, blocks.copy(gr.sizeof_gr_complex), sink)
    tb.run()
    np.testing.assert_array_equal(np.asarray(sink.data(), dtype=np.complex64), data)


def test_core_package_imports_no_gnuradio():
    """DESIGN.md rule 2: only blocks/ and apps import GNU Radio."""
    import subprocess

    code = (
        "import sys, rfclassify, rfclassify.dsp, rfclassify.io, rfclassify.signals, "
        "rfclassify.cli, rfclassify.viz, rfclassify.bench.frontend; "
        "bad = [m for m in sys.modules if m == 'gnuradio' or m.startswith('gnuradio.')]; "
        "print(bad); sys.exit(1 if bad else 0)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
