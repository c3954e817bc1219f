"""Data transforms. Importing registers them in mmengine's root ``TRANSFORMS``."""
from .block_mask import BlockwiseMaskGenerator, sample_block_mask
from .video_color import VideoColorJitter, VideoGrayScale
from .video_sampling import SegmentSampleFrames

__all__ = ['BlockwiseMaskGenerator', 'SegmentSampleFrames', 'VideoColorJitter', 'VideoGrayScale', 'sample_block_mask']
