"""ONNX export of eva_mm models: backbone, classifier, segmentor (whole image), detector backbone + neck.

Each part is wrapped in a module with a plain ``images -> tensors`` forward (no data samples), exported with
``torch.onnx.export`` (TorchScript exporter) with a dynamic batch axis and, by default, dynamic height and width:
the position-embedding resampling and the RoPE tables are computed from the input's shape inside the graph, so
one file serves every input size the model accepts (a multiple of the patch size; windowed detector backbones
need a multiple of ``window_size x patch``). :func:`check_onnx` runs the file in onnxruntime against PyTorch.
"""
import warnings
from typing import Dict, List, Sequence, Tuple

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from eva_mm.layers.fast_path import set_fast_path, use_fast_path

from .export_pooling import exportable_pooling

__all__ = ['PARTS', 'check_onnx', 'export_onnx', 'export_module']


class BackboneOnly(nn.Module):
    """``[B, 3, H, W]`` images -> the backbone's feature maps (``feat0, feat1, ...``)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.backbone = getattr(model, 'backbone', model)

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        return tuple(self.backbone(images))


class ClassifierLogits(nn.Module):
    """``[B, 3, H, W]`` images -> ``[B, num_classes]`` logits of an mmpretrain ``ImageClassifier``."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.model(images, mode='tensor')


class SegmentorLogits(nn.Module):
    """``[B, 3, H, W]`` images -> ``[B, num_classes, H, W]`` logits of an mmseg ``EncoderDecoder``, whole-image
    inference (decode head only, upsampled to the input as mmseg's ``postprocess_result`` does)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        logits = self.model.decode_head(self.model.extract_feat(images))
        return F.interpolate(logits, size=images.shape[2:], mode='bilinear',
                             align_corners=self.model.decode_head.align_corners)


class DetectorFeatures(nn.Module):
    """``[B, 3, H, W]`` images -> the detector's pyramid (backbone + simple feature pyramid / FPN neck)."""

    def __init__(self, model: nn.Module) -> None:
        super().__init__()
        self.model = model

    def forward(self, images: torch.Tensor) -> Tuple[torch.Tensor, ...]:
        return tuple(self.model.extract_feat(images))


PARTS = {'backbone': BackboneOnly, 'classifier': ClassifierLogits, 'segmentor': SegmentorLogits,
         'detector-features': DetectorFeatures}


def export_module(module: nn.Module, file: str, example: torch.Tensor, output_names: Sequence[str],
                  dynamic_spatial: bool = True, opset: int = 17, flat: bool = False, dynamic_batch: bool = True) -> str:
    """Export ``module`` (images in, tensors out) to ``file`` with dynamic batch (and height/width).

    ``flat``: the outputs are ``[B, C]`` (no spatial axes to mark dynamic)."""
    axes = {0: 'batch', 2: 'height', 3: 'width'} if dynamic_spatial else {0: 'batch'}
    out_axes = {0: 'batch', 2: 'out_h', 3: 'out_w'} if dynamic_spatial else {0: 'batch'}
    dynamic = {'images': axes}
    for name in output_names:
        dynamic[name] = {0: 'batch'} if flat else out_axes
    if not dynamic_batch:  # every shape fixed (windowed backbones: window partition is traced at one size)
        if dynamic_spatial:
            raise ValueError('dynamic_batch=False needs dynamic_spatial=False')
        dynamic = None
    # The reference paths are plain real-valued torch; the fast ones rotate RoPE pairs as complex numbers, which
    # ONNX has no type for.
    fast = use_fast_path()
    set_fast_path(False)
    folded = _fold_qkv_bias(module)
    try:
        with torch.no_grad(), warnings.catch_warnings():
            # expected here: the TorchScript exporter is the legacy one (the dynamo one needs onnxscript), shape
            # checks become constants for the traced size (eva_mm checks them before export), and a p=0 dropout
            for message in ('You are using the legacy TorchScript', 'Converting a tensor to a Python',
                            'ONNX export mode is set to TrainingMode.EVAL', 'The feature will be removed'):
                warnings.filterwarnings('ignore', message=message)
            torch.onnx.export(module, (example,), file, input_names=['images'], output_names=list(output_names),
                              dynamic_axes=dynamic, opset_version=opset, dynamo=False)
    finally:
        set_fast_path(fast)
        for attn in folded:
            del attn._qkv_bias
    return file


def _fold_qkv_bias(module: nn.Module) -> List[nn.Module]:
    """Give each attention with a split q/v bias its fused bias as a constant, for the export's duration.

    Attention concatenates ``(q_bias, 0, v_bias)`` per call; the TorchScript exporter does not know the rank of a
    parameter inside that ``cat`` and refuses it. The weights are fixed in an export, so the concatenation is
    computed once (the same values) and the instance method is shadowed until the export ends.
    """
    folded = []
    for sub in module.modules():
        if callable(getattr(sub, '_qkv_bias', None)) and getattr(sub, 'q_bias', None) is not None:
            bias = sub._qkv_bias().detach()
            sub._qkv_bias = lambda bias=bias: bias
            folded.append(sub)
    return folded


def _output_names(module: nn.Module, example: torch.Tensor) -> List[str]:
    with torch.no_grad():
        out = module(example)
    if isinstance(out, torch.Tensor):
        return ['logits']
    return [f'feat{i}' for i in range(len(out))]


def export_onnx(model: nn.Module, part: str, file: str, input_size: Sequence[int] = (224, 224),
                dynamic_spatial: bool = True, opset: int = 17, batch_size: int = 0) -> str:
    """Export one ``part`` of an eva_mm model (see :data:`PARTS`) to ONNX.

    Args:
        model: a built model (``eva_mm.get_model``): EVA backbone, ImageClassifier, EncoderDecoder or detector.
        part: 'backbone', 'classifier', 'segmentor' or 'detector-features'.
        file: the ``.onnx`` path to write.
        input_size: (H, W) of the example input that is traced. With ``dynamic_spatial`` it must differ from the
            size the position embedding is stored for (else the trace records no resampling); any other size the
            model takes works.
        dynamic_spatial: make height and width dynamic (else only the batch is).
        batch_size: 0 for a dynamic batch; else a fixed batch (with ``dynamic_spatial=False``: all shapes fixed).

    Returns:
        ``file``. Input ``images``: ``[B, 3, H, W]`` float32, normalised as the model's data preprocessor does.
    """
    if part not in PARTS:
        raise ValueError(f'unknown export part {part!r}; choose from {sorted(PARTS)}')
    module = PARTS[part](model).eval()
    example = torch.zeros(batch_size or 1, 3, *input_size)
    if part == 'classifier' and not hasattr(model, 'head'):
        raise ValueError('part="classifier" needs an mmpretrain ImageClassifier (a model with a head)')
    if part == 'segmentor' and not hasattr(model, 'decode_head'):
        raise ValueError('part="segmentor" needs an mmseg EncoderDecoder (a model with a decode_head)')
    if part == 'detector-features' and not hasattr(model, 'extract_feat'):
        raise ValueError('part="detector-features" needs an mmdet detector (a model with extract_feat)')
    names = _output_names(module, example)
    # multi-bin adaptive pooling (UPerNet's pyramid pooling) as pooling matrices built from the traced shape: the
    # exporter sizes AdaptiveAvgPool2d only from constant shapes (eva_mm/apis/export_pooling.py)
    with exportable_pooling(module):
        return export_module(module, file, example, names, dynamic_spatial, opset, flat=part == 'classifier',
                             dynamic_batch=not batch_size)


def check_onnx(model: nn.Module, part: str, file: str, sizes: Sequence[Tuple[int, int, int]],
               seed: int = 0) -> Dict[Tuple[int, int, int], float]:
    """Largest |onnxruntime - PyTorch| per ``(batch, H, W)`` input, over every output, on random images."""
    import onnxruntime

    module = PARTS[part](model).eval()
    session = onnxruntime.InferenceSession(file, providers=['CPUExecutionProvider'])
    generator = torch.Generator().manual_seed(seed)
    errors = {}
    for b, h, w in sizes:
        images = torch.randn(b, 3, h, w, generator=generator)
        with torch.no_grad():
            want = module(images)
        want = [want] if isinstance(want, torch.Tensor) else list(want)
        got = session.run(None, {'images': images.numpy()})
        if len(got) != len(want):
            raise AssertionError(f'{file}: {len(got)} outputs, PyTorch gives {len(want)}')
        errors[(b, h, w)] = max(float(np.abs(g - t.numpy()).max()) if g.shape == tuple(t.shape) else float('inf')
                                for g, t in zip(got, want))
    return errors
