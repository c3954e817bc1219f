"""Block-wise MIM mask: exact count, rectangle shapes, top-up near blocks, seed determinism, bad input."""
import numpy as np
import pytest

from eva_mm.datasets.transforms import BlockwiseMaskGenerator, sample_block_mask


@pytest.mark.parametrize('grid,count', [((16, 16), 105), ((14, 14), 75), ((8, 8), 26), ((12, 20), 90)])
def test_exact_count(grid, count):
    for seed in range(100):
        mask, _ = sample_block_mask(grid, count, np.random.default_rng(seed))
        assert mask.shape == grid and mask.dtype == bool
        assert int(mask.sum()) == count


def test_rectangles_obey_area_and_aspect_and_cover_most_patches():
    covered = []
    for seed in range(100):
        mask, rects = sample_block_mask((16, 16), 105, np.random.default_rng(seed), min_num_patches=16)
        assert rects, 'at least one block is placed'
        union = np.zeros_like(mask)
        for top, left, h, w in rects:
            assert mask[top:top + h, left:left + w].all()
            union[top:top + h, left:left + w] = True
            # sides are rounded from sqrt(area * aspect): allow half a patch of rounding on each side
            assert (h + 0.5) / max(w - 0.5, 1e-6) >= 0.3 and (h - 0.5) / (w + 0.5) <= 1 / 0.3
            assert (h + 0.5) * (w + 0.5) >= 16  # at least min_num_patches before rounding
        covered.append(union.sum() / mask.sum())
    assert np.mean(covered) > 0.9  # the top-up is a small remainder, not the mask


def test_top_up_grows_the_masked_region():
    # with huge min blocks nothing fits twice: the remainder must be grown from masked neighbours
    mask, rects = sample_block_mask((16, 16), 105, np.random.default_rng(1), min_num_patches=90)
    assert int(mask.sum()) == 105
    padded = np.pad(mask, 1)
    neighbours = padded[:-2, 1:-1] | padded[2:, 1:-1] | padded[1:-1, :-2] | padded[1:-1, 2:]
    assert (neighbours[mask]).all()  # one connected blob: every masked patch touches another


def test_transform_seed_determinism_and_output():
    a, b, c = (BlockwiseMaskGenerator(input_size=16, num_masking_patches=105, seed=s) for s in (3, 3, 4))
    seq_a = [a({})['mask'] for _ in range(5)]
    seq_b = [b({})['mask'] for _ in range(5)]
    seq_c = [c({})['mask'] for _ in range(5)]
    assert all((x == y).all() for x, y in zip(seq_a, seq_b))
    assert any((x != y).any() for x, y in zip(seq_a, seq_c))
    assert any((seq_a[0] != x).any() for x in seq_a[1:])  # a fresh mask per sample
    assert all(m.shape == (16, 16) and m.sum() == 105 for m in seq_a)


def test_unseeded_transform_follows_numpy_global_seed():
    t = BlockwiseMaskGenerator(input_size=14, num_masking_patches=75)
    np.random.seed(0)
    first = t({})['mask']
    np.random.seed(0)
    assert (t({})['mask'] == first).all()


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match='num_masking_patches'):
        BlockwiseMaskGenerator(input_size=4, num_masking_patches=17)
    with pytest.raises(ValueError, match='aspect_range'):
        sample_block_mask((8, 8), 10, np.random.default_rng(0), aspect_range=(2.0, 1.0))
    with pytest.raises(ValueError, match='input_size'):
        BlockwiseMaskGenerator(input_size=1, num_masking_patches=1)
