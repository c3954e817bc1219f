"""ViT-Adapter (arXiv 2205.08534) around eva_mm's EVA: spatial prior, injector / extractor, CFFN, the backbone."""
from .cffn import ConvFFN, MultiLevelDWConv
from .eva_adapter import EVAAdapter
from .interaction import DeformInputs, Extractor, Injector, InteractionBlock, deform_inputs, reference_points
from .ms_deform_attn import MSDeformAttn
from .spatial_prior import SpatialPriorModule

__all__ = ['ConvFFN', 'DeformInputs', 'EVAAdapter', 'Extractor', 'Injector', 'InteractionBlock', 'MSDeformAttn',
           'MultiLevelDWConv', 'SpatialPriorModule', 'deform_inputs', 'reference_points']
