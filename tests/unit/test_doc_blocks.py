"""Every shell block of the docs is run by a test or says why it is not.

The convention (tests/docblocks.py, docs/development.md): the line right
above a fenced ``sh``/``bash``/``shell``/``console`` block is either
``<!-- run: NAME -->``, and a test runs ``docblocks.block('NAME')`` (the
quoted name must appear in a test module), or ``<!-- not-run: REASON -->``.
A new document in docs/ needs nothing more than its markers.
"""

import collections
import glob
import os
import re

import pytest

from tests import docblocks

ROOT = docblocks.ROOT
BLOCKS = docblocks.all_blocks()


def _test_sources():
    sources = []
    for path in glob.glob(os.path.join(ROOT, 'tests', '**', '*.py'),
                          recursive=True):
        if os.path.basename(path) not in ('docblocks.py',
                                          'test_doc_blocks.py'):
            with open(path) as f:
                sources.append(f.read())
    return '\n'.join(sources)


@pytest.mark.parametrize('block', [b for b in BLOCKS if b.is_shell], ids=repr)
def test_every_shell_block_is_run_by_a_test_or_says_why_not(block):
    assert block.marker, (
        '%r is neither run by a test (<!-- run: NAME -->) nor marked '
        '<!-- not-run: REASON -->' % block)
    assert block.marker[1], '%r: the marker needs a name or a reason' % block


def test_every_run_marker_names_a_block_a_test_runs():
    sources = _test_sources()
    names = [b.marker[1] for b in BLOCKS if b.marker and b.marker[0] == 'run']
    twice = [n for n, c in collections.Counter(names).items() if c > 1]
    assert not twice, 'run: names used twice: %s' % twice
    unused = [n for n in names if "'%s'" % n not in sources]
    assert not unused, 'no test names the blocks %s' % unused


_LINK = re.compile(r'\]\(([^)\s]+)\)')


def _anchors(path):
    """GitHub's heading anchors of a markdown file."""
    with open(path) as f:
        headings = re.findall(r'^#+ (.*)$', f.read(), re.M)
    return {re.sub(r'[^\w\- ]', '', h.strip().lower()).replace(' ', '-')
            for h in headings}


@pytest.mark.parametrize('document', docblocks.documents())
def test_links_stay_inside_the_repository_and_resolve(document):
    with open(os.path.join(ROOT, document)) as f:
        links = _LINK.findall(f.read())
    for link in links:
        if link.startswith(('https://', 'http://')):
            continue
        target, _, anchor = link.partition('#')
        path = os.path.normpath(os.path.join(
            ROOT, os.path.dirname(document), target) if target
            else os.path.join(ROOT, document))
        assert path.startswith(ROOT + os.sep), (
            '%s links outside the repository: %s' % (document, link))
        assert os.path.exists(path), '%s: no such file %s' % (document, link)
        if anchor and path.endswith('.md'):
            assert anchor in _anchors(path), (
                '%s: no heading for #%s in %s' % (document, anchor, target))
