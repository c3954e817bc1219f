"""Kinetics-722: merged class map, rows per source, merged lists and the second-stage head, on generated files."""
import os.path as osp

import numpy as np
import pytest
import torch

from eva_mm.datasets import video_kinetics722 as k722
from tests.video.conftest import EVA01_TINY
from tests.video.official_reference import OfficialVideoViT

# three generated "sources", mmaction2 layout; kinetics700's label map is deliberately not alphabetical
CLASSES = {'kinetics400': ['abseiling', 'air drumming', 'dancing'],
           'kinetics600': ['abseiling', 'baking', 'dancing', 'eating'],
           'kinetics700': ['flying kite', 'air drumming', 'abseiling']}
MERGED = ['abseiling', 'air drumming', 'baking', 'dancing', 'eating', 'flying kite']


def _vid(i):
    return f'{i:011d}_000010_000020.mp4'  # '<11-char youtube id>_<start>_<end>.mp4', as mmaction2's Kinetics files


# (train lines, val lines) per source: 'path label' with the source's own labels
LISTS = {
    'kinetics400': ([(_vid(1), 0), (_vid(2), 2), (_vid(1), 0)], [(_vid(50), 1)]),
    'kinetics600': ([(_vid(2), 2), (_vid(3), 1), (_vid(60), 3)], [(_vid(50), 0), (_vid(51), 3)]),
    'kinetics700': ([(_vid(4), 0), (_vid(51), 1)], [(_vid(52), 2)]),
}


def _official_rows(merged, source_classes):
    # the official notebook's construction (valid for alphabetical sources): K722 indices of the source's classes
    return [i for i, name in enumerate(merged) if name in set(source_classes)]


def test_merged_classes_and_rows_by_name():
    merged = k722.build_k722_classes(CLASSES.values())
    assert merged == MERGED
    for name in ('kinetics400', 'kinetics600'):  # alphabetical sources: as the official mapping
        assert k722.source_rows(merged, CLASSES[name]) == _official_rows(merged, CLASSES[name])
    assert k722.source_rows(merged, CLASSES['kinetics700']) == [5, 1, 0]  # by name, in the source's own order
    with pytest.raises(ValueError, match="'juggling'"):
        k722.source_rows(merged, ['juggling'])


def test_renamed_classes_count_once():
    # K400's 'changing wheel' is K700's 'changing wheel (not on bike)': one K722 class, both sources' rows on it
    old, new = ['changing wheel', 'dancing'], ['changing wheel (not on bike)', 'dancing']
    merged = k722.build_k722_classes([old, new])
    assert merged == ['changing wheel (not on bike)', 'dancing']
    assert k722.source_rows(merged, old) == k722.source_rows(merged, new) == [0, 1]
    assert len(k722.build_k722_classes([old, new], renames={})) == 3  # without the table: the raw union


def test_label_maps_txt_and_official_csv(tmp_path):
    (tmp_path / 'm.txt').write_text('abseiling\nair drumming\n\n')
    (tmp_path / 'm.csv').write_text('id,name\n0,abseiling\n1,air drumming\n')
    assert k722.read_label_map(str(tmp_path / 'm.txt')) == k722.read_label_map(str(tmp_path / 'm.csv'))
    (tmp_path / 'd.txt').write_text('a\nb\na\n')
    with pytest.raises(ValueError, match="d.txt.*'a'"):
        k722.read_label_map(str(tmp_path / 'd.txt'))


def test_merged_lists_drop_duplicates_and_val_leaks():
    merged = k722.build_k722_classes(CLASSES.values())
    sources = [(k722.source_rows(merged, CLASSES[n]), *LISTS[n]) for n in CLASSES]
    train, val = k722.merge_kinetics_lists(sources)
    # vid 1 twice in K400 and vid 2 again in K600: kept once; vid 51 (K700 train) is in K600's val: dropped
    assert train == [(_vid(1), 0), (_vid(2), 3), (_vid(3), 2), (_vid(60), 4), (_vid(4), 5)]
    assert val == [(_vid(50), 1), (_vid(51), 4), (_vid(52), 0)]  # vid 50 in two val sets: once


def _layout(root):
    maps = []
    for name, classes in CLASSES.items():
        d = root / name
        d.mkdir(parents=True)
        (d / f'label_map_{name[-3:]}.txt').write_text(''.join(c + '\n' for c in classes))
        for split, lines in zip(('train', 'val'), LISTS[name]):
            (d / f'{name}_{split}_list_videos.txt').write_text(''.join(f'{p} {lab}\n' for p, lab in lines))
        maps.append(str(d / f'label_map_{name[-3:]}.txt'))
    return maps


def test_classes_command_writes_map_rows_and_lists(tmp_path):
    maps = _layout(tmp_path / 'data')
    out = tmp_path / 'data' / 'kinetics722'
    argv = ['classes', *maps, '--out-dir', str(out), '--data-root', str(tmp_path / 'data')]
    k722.main(argv)
    assert k722.read_label_map(str(out / 'label_map_k722.txt')) == MERGED
    assert k722.read_rows(str(out / 'k722_to_kinetics700_rows.txt')) == [5, 1, 0]
    train = (out / 'k722_train_list_videos.txt').read_text().splitlines()
    assert train[0] == f'kinetics400/videos_train/{_vid(1)} 0' and len(train) == 5
    assert (out / 'k722_val_list_videos.txt').read_text().splitlines()[-1] == f'kinetics700/videos_val/{_vid(52)} 0'
    before = (out / 'k722_train_list_videos.txt').read_text()
    with pytest.raises(FileExistsError, match='label_map_k722.txt'):
        k722.main(argv)
    assert (out / 'k722_train_list_videos.txt').read_text() == before  # nothing overwritten


def test_bad_list_line_names_file_and_line(tmp_path):
    maps = _layout(tmp_path / 'data')
    (tmp_path / 'data' / 'kinetics600' / 'kinetics600_val_list_videos.txt').write_text(f'{_vid(9)} 7\n')
    with pytest.raises(ValueError, match=r'kinetics600_val_list_videos.txt:1'):
        k722.main(['classes', *maps, '--out-dir', str(tmp_path / 'out'), '--data-root', str(tmp_path / 'data')])
    assert not osp.exists(tmp_path / 'out')


def test_an_empty_merged_list_is_an_error_and_nothing_is_written(tmp_path):
    maps = _layout(tmp_path / 'data')
    val = tmp_path / 'data' / 'kinetics400' / 'kinetics400_val_list_videos.txt'
    val.write_text(''.join(f'{_vid(i)} 0\n' for i in (1, 2, 3, 4, 51, 60)))  # every train id is now a val id
    with pytest.raises(ValueError, match='merged train list would be empty'):
        k722.main(['classes', *maps, '--out-dir', str(tmp_path / 'out'), '--data-root', str(tmp_path / 'data')])
    assert not osp.exists(tmp_path / 'out')


def test_head_command_keeps_the_target_rows_and_resizes_time(tmp_path):
    """Official K722-layout file (8 frames, 6 classes) -> 16-frame Recognizer3D with kinetics700's 3 rows."""
    import mmaction.models  # noqa: F401
    from mmaction.registry import MODELS
    from mmengine.registry import DefaultScope
    from mmengine.runner import load_checkpoint

    torch.manual_seed(0)
    ref = OfficialVideoViT(14, 8, 7, 32, 2, 4, 64, num_classes=len(MERGED))
    torch.save({'module': ref.state_dict()}, tmp_path / 'k722.pth')
    np.save(tmp_path / 'rows.npy', np.array([5, 1, 0]))  # the official .npy form
    out = tmp_path / 'stage2.pth'
    k722.main(['head', str(tmp_path / 'k722.pth'), str(tmp_path / 'rows.npy'), '--num-frames', '16',
               '--grid', '2', '--out', str(out)])
    with DefaultScope.overwrite_default_scope('mmaction'):
        rec = MODELS.build(dict(
            type='Recognizer3D',
            backbone=dict(type='EVAVideo', arch=EVA01_TINY, num_frames=16, img_size=14, patch_size=7),
            cls_head=dict(type='TimeSformerHead', num_classes=3, in_channels=32),
            data_preprocessor=dict(type='ActionDataPreprocessor', format_shape='NCTHW')))
    load_checkpoint(rec, str(out), map_location='cpu', strict=True)
    torch.testing.assert_close(rec.cls_head.fc_cls.weight, ref.head.weight[[5, 1, 0]])
    torch.testing.assert_close(rec.cls_head.fc_cls.bias, ref.head.bias[[5, 1, 0]])
    assert rec.backbone.pos_embed.shape == (1, 1 + 16 * 4, 32)
    with pytest.raises(FileExistsError):
        k722.main(['head', str(tmp_path / 'k722.pth'), str(tmp_path / 'rows.npy'), '--out', str(out)])
    # a Recognizer3D checkpoint (the K722 config's own run) works the same way
    again = k722.stage2_state_dict(str(out), [2, 0], 16, grid=(2, 2))
    torch.testing.assert_close(again['cls_head.fc_cls.weight'], ref.head.weight[[0, 5]])
    assert again['backbone.pos_embed'].shape == (1, 1 + 16 * 4, 32)
    with pytest.raises(ValueError, match='row 9'):
        k722.select_head_rows(ref.state_dict(), [9])
