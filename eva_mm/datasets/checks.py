"""Bad data stops with one error naming the image file or the annotation entry, not a deep traceback.

Where the toolboxes fail today, and what this module does instead (installed on `import eva_mm`, for every config):

- mmcv's ``LoadImageFromFile``: a zero-byte file fails in cv2 (``!buf.empty()``) without the file's name; a
  truncated PNG / JPEG decodes partly or fails in libpng / libjpeg; a 40000 x 40000 image is decoded in full
  (4.8 GB for RGB) before anything looks at its size. The wrapped transform checks a local file first (size, the
  header's pixel count against PIL's decompression-bomb limit, the PNG ``IEND`` / JPEG ``EOI`` end marker) and
  names the file in any decoding error: :class:`ImageFileError`.
- mmdet's ``CocoDataset.parse_data_info``: a bbox of 3 numbers or a string fails in a tuple unpacking; a missing
  ``segmentation`` fails much later in ``LoadAnnotations`` (``KeyError: 'mask'``); class names matching no
  category of the file silently drop every annotation of that class. The wrapped parser checks each entry and
  the class names first: :class:`AnnotationError`, naming the annotation file, the annotation id and its image.
"""
import functools
import numbers
import os
import os.path as osp
import warnings
from typing import Any, Callable, Dict, Mapping, Optional, Sequence

from eva_mm.compat.import_hooks import when_imported

__all__ = ['AnnotationError', 'ImageFileError', 'check_coco_annotation', 'check_image_file', 'install']

_PNG = b'\x89PNG\r\n\x1a\n'
_JPEG = b'\xff\xd8\xff'
# JPEG files may carry a few bytes after their end-of-image marker (padding); PNG ends with the IEND chunk.
_TAIL = 4096


class ImageFileError(ValueError):
    """An image file that cannot be used: empty, truncated, too large to decode, or not decodable."""


class AnnotationError(ValueError):
    """An annotation entry (or the class names) that does not fit the annotation format."""


def check_image_file(path: str, max_pixels: Optional[int] = None) -> None:
    """Check a local PNG / JPEG file before it is decoded (other formats and remote paths: size only).

    Args:
        path: the image file.
        max_pixels: the largest width x height allowed; default PIL's decompression-bomb limit
            (``2 * PIL.Image.MAX_IMAGE_PIXELS``, 178,956,970 pixels).

    Raises:
        ImageFileError: naming ``path``: empty, truncated, or larger than ``max_pixels``.
    """
    if not osp.isfile(path):
        return  # a remote path (the file backends) or a missing file: the reader names it
    size = os.path.getsize(path)
    if size == 0:
        raise ImageFileError(f'image {path}: empty file (0 bytes)')
    with open(path, 'rb') as f:  # one open per image: this runs before every decode
        head = f.read(16)
        f.seek(max(0, size - _TAIL))
        tail = f.read()
        if not (head.startswith(_PNG) or head.startswith(_JPEG)):
            return
        from PIL import Image
        limit = max_pixels or 2 * (Image.MAX_IMAGE_PIXELS or 89478485)
        f.seek(0)
        try:
            with warnings.catch_warnings():
                # PIL warns above half its limit; the limit itself is checked below, with the file named
                warnings.simplefilter('ignore', Image.DecompressionBombWarning)
                with Image.open(f) as image:  # reads the header only
                    width, height = image.size
        except Image.DecompressionBombError as error:  # above PIL's own limit, raised before the size is known
            raise ImageFileError(f'image {path}: {error} Refusing to decode it') from None
        except OSError as error:
            raise ImageFileError(f'image {path}: unreadable header ({error})') from None
    if width * height > limit:
        raise ImageFileError(f'image {path}: {width} x {height} = {width * height} pixels exceeds the limit of '
                             f'{limit} (a decompression bomb?); refusing to decode it')
    ended = b'IEND' in tail[-16:] if head.startswith(_PNG) else b'\xff\xd9' in tail
    if not ended:
        kind = 'PNG IEND chunk' if head.startswith(_PNG) else 'JPEG end-of-image marker'
        raise ImageFileError(f'image {path}: truncated ({size} bytes, no {kind} at the end)')


def _is_number(value: Any) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def check_coco_annotation(ann: Mapping[str, Any], image: Mapping[str, Any], ann_file: str,
                          with_mask: bool) -> None:
    """Check one COCO annotation entry.

    Args:
        ann: the entry (``annotations[i]`` of the file).
        image: its image entry (for the message).
        ann_file: the annotation file (for the message).
        with_mask: the pipeline loads masks (``LoadAnnotations(with_mask=True)``): ``segmentation`` is required.

    Raises:
        AnnotationError: naming the file, the annotation id and the image.
    """
    where = f'{ann_file}: annotation id {ann.get("id")!r} (image {image.get("file_name")!r})'
    bbox = ann.get('bbox')
    if not (isinstance(bbox, (list, tuple)) and len(bbox) == 4 and all(_is_number(v) for v in bbox)):
        raise AnnotationError(f"{where}: 'bbox' must be 4 numbers [x, y, width, height], got {bbox!r}")
    if 'category_id' not in ann:
        raise AnnotationError(f"{where}: no 'category_id'")
    if with_mask and not ann.get('segmentation') and not ann.get('ignore', False):
        raise AnnotationError(f"{where}: no 'segmentation', but the pipeline loads masks "
                              f"(LoadAnnotations with_mask=True)")


def check_class_names(classes: Sequence[str], categories: Sequence[Mapping[str, Any]], ann_file: str) -> None:
    """Every class name of the config must be a category of the file.

    Raises:
        AnnotationError: naming the classes that match no category and the file's category names.
    """
    names = [c.get('name') for c in categories]
    unknown = [c for c in classes if c not in names]
    if unknown:
        raise AnnotationError(f'{ann_file}: class names {unknown} match no category of the file (its categories: '
                              f'{names[:20]}{" ..." if len(names) > 20 else ""}); their annotations would be '
                              f'dropped. Fix metainfo.classes or the file')


def _loads_masks(dataset: Any) -> bool:
    transforms = getattr(getattr(dataset, 'pipeline', None), 'transforms', ())
    return any(type(t).__name__ == 'LoadAnnotations' and getattr(t, 'with_mask', False) for t in transforms)


def _checking_parse(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def parse_data_info(self: Any, raw_data_info: Dict[str, Any]) -> Any:
        ann_file = getattr(self, 'ann_file', '?')
        coco = getattr(self, 'coco', None)
        if coco is not None and getattr(self, '_eva_mm_checked', None) is not coco:
            categories = getattr(coco, 'dataset', {}).get('categories', [])
            check_class_names(list(self.metainfo.get('classes', ())), categories, ann_file)
            self._eva_mm_checked, self._eva_mm_with_mask = coco, _loads_masks(self)
        with_mask = getattr(self, '_eva_mm_with_mask', False)
        for ann in raw_data_info.get('raw_ann_info', ()):
            check_coco_annotation(ann, raw_data_info.get('raw_img_info', {}), ann_file, with_mask)
        return original(self, raw_data_info)
    parse_data_info._eva_mm_checked = True  # type: ignore[attr-defined]
    return parse_data_info


def _checking_load(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def transform(self: Any, results: Dict[str, Any]) -> Any:
        path = results.get('img_path')
        if isinstance(path, str):
            check_image_file(path)
        try:
            out = original(self, results)
        except ImageFileError:
            raise
        except Exception as error:  # cv2 / libpng / the file backends / mmcv's "failed to load": name the file
            raise ImageFileError(f'image {path}: cannot be read or decoded ({type(error).__name__}: {error})'
                                 ) from error
        return out
    transform._eva_mm_checked = True  # type: ignore[attr-defined]
    return transform


def _patch(owner: Any, name: str, wrap: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    current = owner.__dict__.get(name)
    if current is not None and not getattr(current, '_eva_mm_checked', False):
        setattr(owner, name, wrap(current))


def install() -> None:
    """Wrap mmcv's ``LoadImageFromFile.transform`` and mmdet's ``CocoDataset.parse_data_info`` (idempotent)."""
    when_imported('mmcv.transforms.loading',
                  lambda m: _patch(m.LoadImageFromFile, 'transform', _checking_load))
    when_imported('mmdet.datasets.coco', lambda m: _patch(m.CocoDataset, 'parse_data_info', _checking_parse))
