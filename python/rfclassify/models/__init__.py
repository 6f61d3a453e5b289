"""The model zoo: native PyTorch architectures behind one registry.

``create_model(name, num_classes, img_size, in_chans, **overrides)`` builds any of them,
``list_models()`` names them. Parameter names follow timm's, so that timm checkpoints map in.
"""

from .registry import ModelSpec, create_model, list_models, model_spec, register_model

__all__ = ["ModelSpec", "create_model", "list_models", "model_spec", "register_model"]
