"""Weight decay spares biases, norms, embeddings, tokens and the scan's state, in every family."""

import pytest
import torch

from rfclassify.models import create_model
from rfclassify.models.mae import MaskedAutoencoder
from rfclassify.models.registry import list_models
from rfclassify.training.config import TrainConfig
from rfclassify.training.param_groups import no_decay_names, param_groups
from rfclassify.training.trainer import _optimizer

SMALL = ["vim_ultralight", "mobilevit_xxs", "resnet50_rf", "vit_tiny_patch4_32", "efficientnet_b0"]


@pytest.mark.parametrize("name", list_models())
def test_every_family_names_its_exceptions_and_flat_parameters_are_never_decayed(name):
    model = create_model(name, num_classes=4)
    assert hasattr(model, "no_weight_decay")
    skip = no_decay_names(model)
    for pname, param in model.named_parameters():
        if param.ndim <= 1:
            assert pname in skip, pname
    decayed = [n for n, p in model.named_parameters() if n not in skip]
    assert decayed and all(model.get_parameter(n).ndim >= 2 for n in decayed)


def test_vim_keeps_its_scan_state_positions_and_token_out_of_decay():
    model = create_model("vim_ultralight", num_classes=4)
    skip = no_decay_names(model)
    assert {"pos_embed", "layers.0.mixer.A_log", "layers.0.mixer.A_b_log"} <= skip
    assert {"layers.0.mixer.D", "layers.0.mixer.D_b"} <= skip
    assert "layers.0.mixer.in_proj.weight" not in skip and "patch_embed.proj.weight" not in skip


def test_mae_spares_its_encoders_embeddings_and_the_mask_token():
    encoder = create_model("vit_tiny_patch4_32", num_classes=4)
    skip = no_decay_names(MaskedAutoencoder(encoder, 0.75, 64, 1, 4, True))
    assert {"encoder.pos_embed", "encoder.cls_token", "mask_token"} <= skip


@pytest.mark.parametrize("name", SMALL)
def test_the_trainers_optimiser_decays_only_the_decayed_group(name):
    model = create_model(name, num_classes=4)
    config = TrainConfig(model=name, weight_decay=0.5, lr=1.0)
    optimiser = _optimizer(config, model)
    assert [g["weight_decay"] for g in optimiser.param_groups] == [0.5, 0.0]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    for p in model.parameters():
        p.grad = torch.zeros_like(p)
    optimiser.step()  # zero gradients: only decay moves a weight
    skip = no_decay_names(model)
    for n, p in model.named_parameters():
        moved = not torch.equal(p.detach(), before[n])
        assert moved == (n not in skip and bool(before[n].abs().sum() > 0)), n


def test_empty_groups_are_dropped():
    assert len(param_groups(torch.nn.LayerNorm(4), 0.05)) == 1


def test_decay_all_restores_the_old_rule_for_comparison():
    model = create_model("vim_ultralight", num_classes=4)
    config = TrainConfig(model="vim_ultralight", weight_decay=0.5, lr=1.0, decay_all=True)
    (group,) = _optimizer(config, model).param_groups
    assert group["weight_decay"] == 0.5
    assert len(group["params"]) == len(list(model.parameters()))
