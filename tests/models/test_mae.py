"""The masked autoencoder: exact masking, a loss that learns, an encoder that loads whole."""

from __future__ import annotations

import pytest
import torch

from rfclassify.models.mae import MaskedAutoencoder, sincos_2d
from rfclassify.models.vit import VisionTransformer


def _vit() -> VisionTransformer:
    return VisionTransformer(64, 16, in_chans=1, num_classes=4, embed_dim=96, depth=2, num_heads=3)


def _mae(ratio: float = 0.75, **kwargs) -> MaskedAutoencoder:
    torch.manual_seed(0)
    return MaskedAutoencoder(_vit(), mask_ratio=ratio, decoder_dim=64, **kwargs)


@pytest.mark.parametrize("ratio", [0.25, 0.5, 0.75, 0.9])
def test_masking_hides_exactly_the_configured_share_of_every_sample(ratio):
    mae = _mae(ratio)
    images = torch.randn(5, 1, 64, 64)
    _, prediction, mask = mae(images)
    patches = (64 // 16) ** 2
    hidden = round(patches * ratio)
    assert mask.shape == (5, patches) and prediction.shape == (5, patches, 16 * 16)
    assert mask.sum(dim=1).tolist() == [hidden] * 5  # each sample, not on average
    assert set(mask.unique().tolist()) == {0.0, 1.0}
    assert len({tuple(row.tolist()) for row in mask}) > 1  # a different draw per sample


def test_patchify_round_trips_in_the_encoders_patch_order():
    mae = _mae()
    images = torch.randn(2, 1, 64, 64)
    patches = mae.patchify(images)
    torch.testing.assert_close(mae.unpatchify(patches), images)
    # patch 1 is the second 16x16 block of the first row, as the strided convolution sees it
    torch.testing.assert_close(patches[0, 1].reshape(16, 16), images[0, 0, :16, 16:32])


def test_the_loss_counts_masked_patches_only():
    mae = _mae(0.5, norm_pix_loss=False)
    images = torch.randn(3, 1, 64, 64)
    target = mae.patchify(images)
    mask = torch.zeros(3, 16)
    mask[:, :8] = 1
    perfect_on_masked = target.clone()
    perfect_on_masked[:, 8:] += 100.0  # visible patches wrong: must not count
    assert mae.loss(images, perfect_on_masked, mask).item() == 0.0
    assert mae.loss(images, target + 1.0, mask).item() == pytest.approx(1.0)


def test_the_loss_falls_on_a_tiny_set_in_a_short_run():
    mae = _mae()
    g = torch.Generator().manual_seed(1)
    t = torch.linspace(0, 1, 64)
    # eight structured "spectrograms": a few horizontal carriers each, plus noise
    images = torch.stack(
        [
            (torch.sin(2 * torch.pi * (i + 1) * t)[:, None] > 0.5).float().expand(64, 64)
            + 0.05 * torch.randn(64, 64, generator=g)
            for i in range(8)
        ]
    )[:, None]
    optimiser = torch.optim.AdamW(mae.parameters(), lr=2e-3)
    losses = []
    for step in range(100):
        loss, _, _ = mae(images, generator=torch.Generator().manual_seed(step))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        losses.append(loss.item())
    # from ~1 (the normalised targets' variance: knowing nothing) to ~0.65 here
    assert sum(losses[-10:]) / 10 < 0.8 * sum(losses[:10]) / 10


def test_the_encoder_loads_into_the_classifier_key_for_key():
    mae = _mae()
    classifier = _vit()
    weights = mae.encoder_state_dict()
    result = classifier.load_state_dict(weights, strict=False)
    assert result.unexpected_keys == []
    assert sorted(result.missing_keys) == ["head.bias", "head.weight"]  # the new head only
    for key, value in weights.items():
        torch.testing.assert_close(classifier.state_dict()[key], value)


def test_sincos_positions_are_distinct_and_bounded():
    positions = sincos_2d(64, 4)
    assert positions.shape == (16, 64) and positions.abs().max() <= 1.0
    assert torch.cdist(positions, positions).fill_diagonal_(1.0).min() > 0.1
    with pytest.raises(ValueError, match="divisible by 4"):
        sincos_2d(62, 4)
