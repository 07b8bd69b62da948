"""The command line of every docs generator: rewrite its file, or check it."""

import argparse


def main(argv, doc, path, render, generated=None):
    """Write ``render()`` to ``path``; with ``--check``, exit 1 if stale.

    ``doc`` is the tool's module docstring (its first line describes the
    tool); ``generated`` names what ``render`` writes, if less than the
    whole file, for ``--help``.
    """
    args = argparse.ArgumentParser(description=doc.splitlines()[0])
    args.add_argument('--check', action='store_true',
                      help='exit 1 if %s is stale' % (generated or path))
    check = args.parse_args(argv).check
    text = render()
    if check:
        with open(path) as f:
            return 0 if f.read() == text else 1
    with open(path, 'w') as f:
        f.write(text)
    return 0
