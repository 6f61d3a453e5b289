"""An ONNX file's metadata without torch: what a serving process needs to read a model card."""

from __future__ import annotations

from pathlib import Path


def read_metadata(path: str | Path) -> dict[str, str]:
    """The ``metadata_props`` of an ONNX file, as strings."""
    import onnx

    proto = onnx.load_model(str(path), load_external_data=False)
    if not proto.graph.node:  # an empty file parses as an empty protobuf message
        raise ValueError("it holds no ONNX graph")
    return {p.key: p.value for p in proto.metadata_props}
