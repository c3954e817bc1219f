"""Small EVA architectures for the video tests."""
import pytest

EVA01_TINY = dict(embed_dims=32, depth=2, num_heads=4, mlp_hidden=64, mlp_type='gelu', use_rope=False)
EVA02_TINY = dict(embed_dims=32, depth=2, num_heads=4, mlp_hidden=64, sub_ln=True)


@pytest.fixture(params=['eva01', 'eva02'])
def tiny_arch(request):
    return EVA01_TINY if request.param == 'eva01' else EVA02_TINY
