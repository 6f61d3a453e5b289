"""The model zoo: native PyTorch architectures behind one registry.

``create_model(name, num_classes, img_size, in_chans, **overrides)`` builds any of them,
``list_models()`` names them. Parameter names follow timm's, so that timm checkpoints map in.
"""

__all__ = ["ModelSpec", "create_model", "list_models", "model_spec", "register_model"]


def __getattr__(name: str):
    """The registry (and with it torch) loads on first use: serving an ONNX model reads cards
    from this package and must not pay for torch."""
    if name in __all__:
        from . import registry

        return getattr(registry, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
