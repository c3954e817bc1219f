"""`import mmaction.models` works after `import eva_mm` (the 1.2.0 wheel lacks models/localizers/drn)."""
import subprocess
import sys

import pytest


def test_mmaction_models_import_in_fresh_process():
    code = ('import eva_mm, mmaction.models, mmaction.models.localizers as L; '
            'from mmaction.registry import MODELS; MODELS.build(dict(type="DRN"))')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True)
    # The import must succeed; only building the absent DRN localizer fails, with an error naming the fix.
    assert 'ModuleNotFoundError' not in out.stderr, out.stderr
    assert 'lacks mmaction/models/localizers/drn' in out.stderr
    assert 'install mmaction2 from source' in out.stderr


def test_eva_video_in_mmaction_registry():
    import mmaction.models  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope

    import eva_mm  # noqa: F401
    from eva_mm.models.backbones import EVAVideo
    with DefaultScope.overwrite_default_scope('mmaction'):
        assert MODELS.get('EVAVideo') is EVAVideo
        assert MODELS.get('Recognizer3D') is not None


def test_missing_drn_message():
    import mmaction.models.localizers.drn.drn as drn
    with pytest.raises(ImportError, match='localizers/drn'):
        drn.DRN()
