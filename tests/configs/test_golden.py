"""Golden config test: every config under configs/ evaluates to exactly the values committed in
tests/configs/golden/ (a refactoring of the bases must leave every dumped value as it was).

A new config adds its golden with ``python tests/configs/make_golden.py configs/<dir>/<name>.py``.
"""
import difflib
from pathlib import Path

import pytest

from tests.configs.golden_dump import CONFIGS, GOLDEN, ROOT, dump, flatten, golden_path, leaf_configs

REGENERATE = 'python tests/configs/make_golden.py {}'


def test_dump_keeps_what_json_would_lose() -> None:
    lines = list(flatten({'a': (1, 2), 'b': [0.1], 'c': {}, 'd': (), 'e': None, 'f': f'{ROOT}/x', 'g': True}))
    assert lines == ['a(0) = 1', 'a(1) = 2', 'b[0] = 0.1', 'c = {}', 'd = ()', 'e = null', 'f = "<repo>/x"',
                     'g = true']
    assert list(flatten({'a': [1, 2]})) != list(flatten({'a': (1, 2)}))


def test_every_config_has_a_golden() -> None:
    missing = [p.relative_to(ROOT) for p in leaf_configs() if not golden_path(p).exists()]
    assert not missing, ('configs without a golden dump; for a NEW config write it with\n'
                         + '\n'.join(REGENERATE.format(p) for p in missing))


def test_no_golden_without_its_config() -> None:
    stale = [g.relative_to(ROOT) for g in sorted(GOLDEN.rglob('*.txt'))
             if not (CONFIGS / g.relative_to(GOLDEN)).with_suffix('.py').is_file()]
    assert not stale, 'goldens whose config is gone (renamed or deleted? git mv / git rm the golden too): ' + \
        ', '.join(map(str, stale))


@pytest.mark.parametrize('config', leaf_configs(), ids=lambda p: str(p.relative_to(CONFIGS)))
def test_config_equals_its_golden(config: Path) -> None:
    golden = golden_path(config)
    if not golden.exists():
        pytest.fail(f'no golden for {config.relative_to(ROOT)}: {REGENERATE.format(config.relative_to(ROOT))}')
    expected = golden.read_text(encoding='utf-8').splitlines()
    actual = dump(config).splitlines()
    if actual != expected:
        diff = list(difflib.unified_diff(expected, actual, 'golden', 'now', n=0, lineterm=''))
        shown = '\n'.join(diff[:60]) + (f'\n... {len(diff) - 60} more lines' if len(diff) > 60 else '')
        pytest.fail(f'{config.relative_to(ROOT)} changed values against {golden.relative_to(ROOT)}:\n{shown}')
