"""The fenced code blocks of README.md and docs/*.md, and their markers.

Every shell block (a fence whose info string is ``sh``, ``bash``,
``shell`` or ``console``) carries a marker on the line right above it:

``<!-- run: NAME -->``
    a test executes the block: it calls ``docblocks.block('NAME')`` (the
    name is unique across the documents, and appears quoted in the test)
    and runs what it gets, replacing only site-specific paths and URLs;
``<!-- not-run: REASON -->``
    nothing runs it, and REASON says why (it needs a real deployment, it
    starts a server in the foreground, it shows output, ...).

``tests/unit/test_doc_blocks.py`` fails on an unmarked shell block and on
a ``run:`` name no test uses. docs/development.md says the same for
writers.
"""

import glob
import os
import re
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHELL = frozenset(['sh', 'bash', 'shell', 'console'])

_FENCE = re.compile(
    r'(?:^ *<!-- (?P<kind>run|not-run): *(?P<arg>.*?) *-->\n)?'
    r'^(?P<indent> *)```(?P<info>[^\n`]*)\n(?P<body>.*?)^(?P=indent)```$',
    re.M | re.S)


class Block:
    """One fenced block: ``path``, ``line``, ``info``, ``marker``, ``code``."""

    def __init__(self, path, line, info, marker, code):
        self.path, self.line, self.info = path, line, info
        self.marker, self.code = marker, code

    @property
    def is_shell(self):
        return self.info.split()[0] in SHELL if self.info else False

    def __repr__(self):
        return '%s:%d (```%s)' % (self.path, self.line, self.info)


def documents():
    """README.md and every docs/*.md, relative to the checkout."""
    return ['README.md'] + sorted(
        os.path.relpath(p, ROOT)
        for p in glob.glob(os.path.join(ROOT, 'docs', '*.md')))


def blocks(path):
    """The fenced blocks of the document ``path``, in order."""
    with open(os.path.join(ROOT, path)) as f:
        text = f.read()
    found = []
    for match in _FENCE.finditer(text):
        indent = len(match.group('indent'))
        code = ''.join(line[indent:] + '\n' for line in
                       match.group('body').splitlines())
        marker = (match.group('kind'), match.group('arg')) \
            if match.group('kind') else None
        found.append(Block(path, text.count('\n', 0, match.start()) + 1,
                           match.group('info').strip(), marker, code))
    return found


def all_blocks():
    return [b for path in documents() for b in blocks(path)]


def block(name):
    """The code of the block marked ``<!-- run: name -->``."""
    [found] = [b for b in all_blocks() if b.marker == ('run', name)]
    return found.code


def run_served(server, workdir, names, timeout=120, member_token=None):
    """Run the shell blocks ``names`` in order as a reader of
    ``scripts/serve.sh`` would, against ``server``: in ``workdir``, whose
    ``state/`` holds the admin's and the member's tokens, with ``SORA``
    at the server and this checkout's ``sora`` on the PATH. Returns the
    ``subprocess.CompletedProcess``.
    """
    state = os.path.join(workdir, 'state')
    os.makedirs(state)
    for role, token in (('admin', server.tokens['admin']),
                        ('member', member_token or server.tokens['member'])):
        with open(os.path.join(state, role + '-token'), 'w') as f:
            f.write(token + '\n')
    script = ''.join(block(name) for name in names).replace(
        'SORA=http://127.0.0.1:8770', 'SORA=' + server.url)
    path = os.path.dirname(sys.executable) + os.pathsep + os.environ['PATH']
    return subprocess.run(['bash', '-euo', 'pipefail', '-c', script],
                          cwd=workdir, capture_output=True, text=True,
                          timeout=timeout, env=dict(os.environ, PATH=path))
