"""tools/config_repeats.py: the counter of repeated six-line runs across configs/."""
import importlib.util
from pathlib import Path

_SPEC = importlib.util.spec_from_file_location('config_repeats', Path(__file__).parents[2] / 'tools/config_repeats.py')
repeats = importlib.util.module_from_spec(_SPEC)
_SPEC.loader.exec_module(repeats)


def test_counts_a_pair_from_six_shared_lines(tmp_path: Path) -> None:
    six = [f'x{i} = dict(a={i})' for i in range(6)]
    (tmp_path / 'a.py').write_text('\n'.join(['# header', *six, 'y = 1']) + '\n')
    (tmp_path / 'b.py').write_text('\n'.join(['z = 2', *six[:3], '', '# a comment does not break a run', *six[3:]]))
    (tmp_path / 'c.py').write_text('\n'.join(six[:5]) + '\n')  # five lines: not a repeat
    files = sorted(tmp_path.glob('*.py'))
    assert repeats.repeated_pairs(files) == {(str(tmp_path / 'a.py'), str(tmp_path / 'b.py'))}
    assert repeats.repeated_pairs(files, min_lines=5) == {(str(files[i]), str(files[j])) for i, j in
                                                          [(0, 1), (0, 2), (1, 2)]}


def test_shape_mode_matches_other_values(tmp_path: Path) -> None:
    (tmp_path / 'a.py').write_text('\n'.join(f'v{i} = dict(type="A", lr={i})' for i in range(6)))
    (tmp_path / 'b.py').write_text('\n'.join(f'w{i} = dict(type="B", lr={i * 2}.5)' for i in range(6)))
    files = sorted(tmp_path.glob('*.py'))
    assert repeats.repeated_pairs(files) == set()
    assert len(repeats.repeated_pairs(files, shape=True)) == 1
