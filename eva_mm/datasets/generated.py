"""`GeneratedDataset`: a data set that creates its generated files on first use, then is any other data set."""
from typing import Any, Callable, Dict

from torch.utils.data import Dataset

from ..registry import DATASETS
from .image_text_shapes import generate_captioned_shapes
from .synthetic import generate_coco_instances, prepare_dataset
from .synthetic.ade_segmentation import generate_ade_segmentation
from .synthetic.moving_shapes import generate_moving_shapes
from .synthetic.unlabeled_images import generate_unlabeled_images

# Generators by the name configs use; each is `fn(root, **kwargs)` writing a complete data set under `root`.
GENERATORS: Dict[str, Callable[..., Any]] = {
    'coco_instances': generate_coco_instances,
    'unlabeled_images': generate_unlabeled_images,
    'ade_segmentation': generate_ade_segmentation,
    'moving_shapes': generate_moving_shapes,
    'captioned_shapes': generate_captioned_shapes,
}


@DATASETS.register_module()
class GeneratedDataset(Dataset):
    """Generate a synthetic data set under `root` unless it is there, then build and act as `dataset`.

    Args:
        generator: a key of `GENERATORS`.
        root: where the generated files go (created on first use, reused afterwards).
        dataset: config of the real data set that reads them (e.g. mmdet's `CocoDataset`).
        lazy_init: mmengine's flag: only the metadata is wanted, so nothing is generated.
        **generator_kwargs: passed to the generator; a change regenerates the files.
    """

    def __init__(self, generator: str, root: str, dataset: Dict[str, Any], lazy_init: bool = False,
                 **generator_kwargs: Any) -> None:
        if generator not in GENERATORS:
            raise KeyError(f'GeneratedDataset: unknown generator {generator!r}; known: {sorted(GENERATORS)}')
        if lazy_init:
            # mmengine's lazy_init (e.g. mmdet's init_detector reading class names and palette): build only the
            # inner data set's metadata and generate nothing yet.
            self.dataset = DATASETS.build(dict(dataset, lazy_init=True))
            return
        prepare_dataset(root, GENERATORS[generator], **generator_kwargs)
        self.dataset = DATASETS.build(dataset)

    def __len__(self) -> int:
        return len(self.dataset)

    def __getitem__(self, index: int) -> Any:
        return self.dataset[index]

    def __getattr__(self, name: str) -> Any:
        # Everything else (metainfo, get_data_info, get_cat_ids, ...) is the wrapped data set's. `dataset` itself
        # is excluded so that unpickling in a data loader worker cannot recurse before it is set.
        if name == 'dataset':
            raise AttributeError(name)
        return getattr(self.dataset, name)
