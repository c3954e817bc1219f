"""The mmcv._ext stand-in: what it supplies, how it fails, and that a compiled extension always wins."""
import subprocess
import sys
import textwrap

import pytest
import torch

from eva_mm.compat import mmcv_ext


def run_python(code: str) -> str:
    """Run `code` in a fresh interpreter (import order matters here) and return its stdout."""
    result = subprocess.run([sys.executable, '-c', textwrap.dedent(code)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def test_toolboxes_import_after_eva_mm():
    out = run_python("""
        import sys
        import eva_mm
        import mmcv.ops, mmdet.models, mmseg.models, mmpretrain.models
        from eva_mm.compat.mmcv_ext import _StandInExtension
        print(isinstance(sys.modules['mmcv._ext'], _StandInExtension))
    """)
    assert out.split() == ['True']


def test_without_eva_mm_the_toolboxes_do_not_import():
    # guards the premise of the stand-in: if mmcv-lite ever ships ops, this fails and the stand-in can go
    result = subprocess.run([sys.executable, '-c', 'import mmdet.models'], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode != 0 and "No module named 'mmcv._ext'" in result.stderr


def test_compiled_extension_is_kept():
    out = run_python("""
        import sys, types, torch

        class Compiled(types.ModuleType):  # stands for a compiled mmcv 2.1.0 extension: has every op
            def __getattr__(self, name):
                if name.startswith('__'):
                    raise AttributeError(name)
                return lambda *args, **kwargs: torch.tensor([2])

        import mmcv
        real = Compiled('mmcv._ext')
        sys.modules['mmcv._ext'] = real
        import eva_mm
        from eva_mm.compat import mmcv_ext
        from mmcv.ops import nms
        print(mmcv_ext.compiled_mmcv_available(), sys.modules['mmcv._ext'] is real,
              nms(torch.zeros(3, 4), torch.ones(3), 0.5)[1].tolist())
    """)
    assert out.split() == ['True', 'True', '[2]']


def test_unsupplied_op_fails_only_when_called_and_names_it():
    from mmcv.ops import DeformConv2d  # importing is fine
    layer = DeformConv2d(2, 2, 3, padding=1)
    x = torch.randn(1, 2, 5, 5)
    with pytest.raises(mmcv_ext.MissingCompiledOpError, match='deform_conv_forward.*compiled mmcv'):
        layer(x, torch.zeros(1, 18, 5, 5))


def test_stand_in_answers_only_op_names():
    ext = mmcv_ext.build_stand_in()
    assert ext.nms is mmcv_ext.SUPPLIED['nms']
    assert callable(ext.anything_else)
    with pytest.raises(AttributeError):
        ext.__path__  # noqa: B018  (a package probe must not find a stub)


def test_mmengine_helpers_behave():
    from mmengine.model import revert_sync_batchnorm
    from mmengine.utils.dl_utils import mmcv_full_available

    # mmcv.ops imports, so mmengine may use mmcv's op classes (revert_sync_batchnorm imports mmcv's SyncBatchNorm)
    assert mmcv_full_available() is True
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 1), torch.nn.SyncBatchNorm(4))
    reverted = revert_sync_batchnorm(model)
    assert not any(isinstance(m, torch.nn.SyncBatchNorm) for m in reverted.modules())
    assert isinstance(reverted[1], torch.nn.modules.batchnorm._BatchNorm)
    assert reverted(torch.randn(2, 3, 5, 5)).shape == (2, 4, 5, 5)  # runs without a process group
