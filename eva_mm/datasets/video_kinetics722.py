"""Kinetics-722: the merged K400 / K600 / K700 label space of EVA's intermediate video fine-tuning.

How the official code builds it (github.com/baaivision/EVA ``EVA-01/video/notebooks/build_file_list.ipynb``):
- classes: the sorted union of the K400, K600 and K700 class names (722 names, ``labels/kinetics722_labels.csv``),
  where three classes renamed between versions count once under their K700 name (``KINETICS_RENAMES``; the raw
  union of the official ``labels/kinetics{400,600,700}_labels.csv`` has 725 names, the official K722 file 722);
- each source keeps its own sorted class order, and ``k722_to_k{400,600,700}_mapping.npy`` lists, for each of its
  classes in that order, the class's K722 index;
- K722 lists: every source video relabelled to its class's K722 index; duplicate YouTube ids (the first 11
  characters of the file name) dropped in train and in val, and train videos whose id is in any source's val set
  dropped (no leak into any of the three evaluations).
- second stage: ``clip_mae.build_model`` keeps the K722 head rows ``head.weight[mapping]`` / ``head.bias[mapping]``
  (the yaml files name the mapping ``MODEL.CLASS_MAPPING``; the released ``main.py`` reads
  ``MODEL.K722_CLASS_MAPPING``, a key its config defaults lack).

Here the same from mmaction2-format files: label maps (one class name per line, line ``i`` = label ``i``; the
official ``id,name`` CSV files are read too) and ``<relative path> <label>`` list files. Rows follow each source's
own label map, so a source with a non-alphabetical label map still maps name by name.

``python -m eva_mm.datasets.video_kinetics722 classes ...`` writes the K722 label map, rows and lists;
``python -m eva_mm.datasets.video_kinetics722 head ...`` writes a ``load_from`` file for the second stage (the
K722 model with the target's head rows and its position embedding resized to the new number of frames).
"""
from __future__ import annotations

import argparse
import os
import os.path as osp
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Tuple

import numpy as np
import torch

from eva_mm.checkpoint.video import official_video_to_recognizer, read_video_source, video_backbone_state_dict

__all__ = ['build_k722_classes', 'merge_kinetics_lists', 'read_label_map', 'read_rows', 'select_head_rows',
           'source_rows', 'stage2_state_dict']

# K400 / K600 names that K700 spells differently; the official K722 list holds only the K700 spelling
KINETICS_RENAMES = {
    'changing wheel': 'changing wheel (not on bike)',
    'cooking sausages': 'cooking sausages (not on barbeque)',
    'passing american football (not in game)': 'passing American football (not in game)',
}
YOUTUBE_ID_LEN = 11  # official: video_id[:11]; mmaction2's Kinetics files are '<youtube id>_<start>_<end>.mp4'
_HEAD_KEYS = ('head.weight', 'head.bias', 'cls_head.fc_cls.weight', 'cls_head.fc_cls.bias')
ListLine = Tuple[str, int]


def read_label_map(path: str) -> List[str]:
    """Class names in label order from an mmaction2 label map (a name per line) or an ``id,name`` CSV file."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'label map not found: {path}')
    with open(path, encoding='utf-8') as f:
        lines = [line.rstrip('\n').strip() for line in f]
    lines = [line for line in lines if line]
    if lines and lines[0].replace(' ', '') == 'id,name':  # the official labels/*.csv
        rows = [line.split(',', 1) for line in lines[1:]]
        if any(len(r) != 2 or int(r[0]) != i for i, r in enumerate(rows)):
            raise ValueError(f'{path}: an id,name CSV must list ids 0, 1, 2, ... in order')
        lines = [r[1].strip().strip('"') for r in rows]
    dupes = sorted({n for n in lines if lines.count(n) > 1})
    if dupes:
        raise ValueError(f'{path}: class names listed twice: {dupes[:5]}')
    return lines


def build_k722_classes(class_lists: Iterable[Sequence[str]],
                       renames: Mapping[str, str] = KINETICS_RENAMES) -> List[str]:
    """The merged label space: the sorted union of the sources' class names, renamed classes once under their new
    name (official K722 order: Python's sort, so upper case before lower case)."""
    return sorted({renames.get(name, name) for names in class_lists for name in names})


def source_rows(merged: Sequence[str], classes: Sequence[str],
                renames: Mapping[str, str] = KINETICS_RENAMES) -> List[int]:
    """For each class of a source (in its label order), its index in ``merged`` (official ``k722_to_kX``)."""
    index = {name: i for i, name in enumerate(merged)}
    missing = [c for c in classes if renames.get(c, c) not in index]
    if missing:
        raise ValueError(f'{len(missing)} class(es) are not in the merged label space: {missing[:5]}')
    return [index[renames.get(c, c)] for c in classes]


def _read_list(path: str, num_classes: int) -> List[ListLine]:
    """``<relative path> <label>`` lines (mmaction2 list files; a path may hold spaces)."""
    if not osp.isfile(path):
        raise FileNotFoundError(f'list file not found: {path}')
    out = []
    with open(path, encoding='utf-8') as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            rel, _, label = line.strip().rpartition(' ')
            if not rel or not label.isdigit() or int(label) >= num_classes:
                raise ValueError(f'{path}:{n}: expected "<path> <label in 0..{num_classes - 1}>", got {line!r}')
            out.append((rel, int(label)))
    return out


def _youtube_id(rel: str) -> str:
    return osp.basename(rel)[:YOUTUBE_ID_LEN]


def merge_kinetics_lists(sources: Sequence[Tuple[Sequence[int], Sequence[ListLine], Sequence[ListLine]]]
                         ) -> Tuple[List[ListLine], List[ListLine]]:
    """Merged train / val lists: ``sources`` are ``(rows, train lines, val lines)`` with paths already relative to
    the merged data prefix. Labels become merged indices; duplicate YouTube ids are dropped (first kept, sources in
    the given order) and train videos whose id is in any val list are dropped, as the official notebook does."""
    val_ids = {_youtube_id(rel) for _, _, val in sources for rel, _ in val}
    merged: Dict[str, List[ListLine]] = {'train': [], 'val': []}
    seen: Dict[str, set] = {'train': set(), 'val': set()}
    for rows, train, val in sources:
        for split, lines in (('train', train), ('val', val)):
            for rel, label in lines:
                vid = _youtube_id(rel)
                if vid in seen[split] or (split == 'train' and vid in val_ids):
                    continue
                seen[split].add(vid)
                merged[split].append((rel, rows[label]))
    return merged['train'], merged['val']


def read_rows(path: str) -> List[int]:
    """Rows written by ``classes`` (one index per line) or the official ``k722_to_kX_mapping.npy``."""
    if path.endswith('.npy'):
        return [int(i) for i in np.load(path, allow_pickle=False).reshape(-1)]
    with open(path, encoding='utf-8') as f:
        return [int(line) for line in f if line.strip()]


def select_head_rows(sd: Mapping[str, torch.Tensor], rows: Sequence[int]) -> Dict[str, torch.Tensor]:
    """``sd`` with its classifier (official ``head.*`` or mmaction2 ``cls_head.fc_cls.*``) cut to ``rows``."""
    keys = [k for k in _HEAD_KEYS if k in sd]
    if not keys:
        raise KeyError(f'no classifier weights ({", ".join(_HEAD_KEYS)}) in the checkpoint')
    out = dict(sd)
    for k in keys:
        if max(rows) >= sd[k].shape[0]:
            raise ValueError(f'{k} has {sd[k].shape[0]} rows; the mapping asks for row {max(rows)}')
        out[k] = sd[k][torch.as_tensor(rows, dtype=torch.long)].clone()
    return out


def stage2_state_dict(checkpoint: str, rows: Sequence[int], num_frames: int,
                      grid: Tuple[int, int] = (16, 16)) -> Dict[str, torch.Tensor]:
    """A K722 video file (official, or a ``Recognizer3D`` checkpoint of the K722 config) as a ``Recognizer3D`` state
    dict for the second stage: the head rows of the target classes, the position embedding resized trilinearly to
    ``num_frames`` (``grid``: patches per frame)."""
    # a recognizer file's head under the official name, so both layouts take one path
    sd = {('head.' + k[len('cls_head.fc_cls.'):] if k.startswith('cls_head.fc_cls.') else k): v
          for k, v in read_video_source(checkpoint).items()}
    sd = select_head_rows(sd, rows)
    head = {k: v for k, v in sd.items() if k.startswith('head.')}
    backbone = video_backbone_state_dict(sd, None, (num_frames, *grid))
    return official_video_to_recognizer({**backbone, **head})


def _refuse_existing(paths: Iterable[str]) -> None:
    existing = [p for p in paths if osp.exists(p)]
    if existing:
        raise FileExistsError(f'refusing to overwrite {existing}; move them away or pick another output')


def _write_lines(path: str, lines: Iterable[str]) -> None:
    with open(path, 'w', encoding='utf-8') as f:
        f.writelines(f'{line}\n' for line in lines)


def _cmd_classes(args: argparse.Namespace) -> None:
    names = [osp.basename(osp.dirname(osp.abspath(m))) for m in args.label_maps]
    class_lists = [read_label_map(m) for m in args.label_maps]
    merged = build_k722_classes(class_lists)
    rows = {name: source_rows(merged, classes) for name, classes in zip(names, class_lists)}
    outs = {'labels': osp.join(args.out_dir, f'label_map_{args.name}.txt')}
    outs.update({n: osp.join(args.out_dir, f'{args.name}_to_{n}_rows.txt') for n in names})
    sources = []
    for name, label_map, classes in zip(names, args.label_maps, class_lists):
        root = osp.dirname(osp.abspath(label_map))
        lists = {s: osp.join(root, f'{name}_{s}_list_videos.txt') for s in ('train', 'val')}
        if not all(osp.isfile(p) for p in lists.values()):
            continue  # a source without both list files still gets its rows
        rel = {s: osp.relpath(osp.join(root, f'videos_{s}'), osp.abspath(args.data_root)) for s in lists}
        sources.append((rows[name], *[[(osp.join(rel[s], p), lab) for p, lab in _read_list(lists[s], len(classes))]
                                      for s in ('train', 'val')]))
    lists_out = dict(zip(('train', 'val'), merge_kinetics_lists(sources))) if sources else {}
    for split, lines in lists_out.items():
        given = sum(len(src[1 if split == 'train' else 2]) for src in sources)
        print(f'{split}: {len(lines)} of {given} videos kept (duplicate YouTube ids'
              + (' and ids of any val set dropped)' if split == 'train' else ' dropped)'))
        if not lines:
            raise ValueError(f'the merged {split} list would be empty: every video is a duplicate'
                             + (' or shares its YouTube id with a val video' if split == 'train' else ''))
        outs[split] = osp.join(args.out_dir, f'{args.name}_{split}_list_videos.txt')
    _refuse_existing(outs.values())
    os.makedirs(args.out_dir, exist_ok=True)
    _write_lines(outs['labels'], merged)
    for name in names:
        _write_lines(outs[name], map(str, rows[name]))
    for split, lines in lists_out.items():
        _write_lines(outs[split], (f'{p} {lab}' for p, lab in lines))
    print(f'{len(merged)} classes; wrote ' + ', '.join(sorted(outs.values())))


def _cmd_head(args: argparse.Namespace) -> None:
    _refuse_existing([args.out])
    sd = stage2_state_dict(args.checkpoint, read_rows(args.rows), args.num_frames, (args.grid, args.grid))
    os.makedirs(osp.dirname(osp.abspath(args.out)), exist_ok=True)
    torch.save({'state_dict': sd, 'meta': {'source': osp.basename(args.checkpoint), 'rows': args.rows}}, args.out)
    print(f'wrote {args.out} ({sd["cls_head.fc_cls.weight"].shape[0]} classes, {args.num_frames} frames)')


def main(argv: Optional[Sequence[str]] = None) -> None:
    """Command line: ``classes`` (K722 label map, rows, lists) and ``head`` (second-stage ``load_from`` file)."""
    parser = argparse.ArgumentParser(prog='python -m eva_mm.datasets.video_kinetics722',
                                     description=__doc__.split('\n')[0])
    sub = parser.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('classes', help='merged label map + rows per source (+ merged lists when the sources have them)')
    c.add_argument('label_maps', nargs='+', help='each source\'s label map, in its mmaction2 folder '
                   '(data/kinetics400/label_map_k400.txt: lists kinetics400_{train,val}_list_videos.txt there)')
    c.add_argument('--out-dir', default='data/kinetics722')
    c.add_argument('--data-root', default='data', help='the merged lists\' video paths are relative to this')
    c.add_argument('--name', default='k722')
    h = sub.add_parser('head', help='official K722 file -> Recognizer3D checkpoint with the target classes\' rows')
    h.add_argument('checkpoint', help='eva_video_k722.pth, or a checkpoint of the K722 config')
    h.add_argument('rows', help='k722_to_<source>_rows.txt from `classes`, or the official k722_to_kX_mapping.npy')
    h.add_argument('--num-frames', type=int, default=16)
    h.add_argument('--grid', type=int, default=16, help='patches per frame side of the target model (224 / 14)')
    h.add_argument('--out', required=True)
    args = parser.parse_args(argv)
    if args.cmd == 'classes':
        _cmd_classes(args)
    else:
        _cmd_head(args)


if __name__ == '__main__':
    main()
