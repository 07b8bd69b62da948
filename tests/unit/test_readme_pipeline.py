"""The README's "How a request flows" names the Paste pipeline as it is."""

import configparser
import os
import re

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _names(text):
    return re.findall(r'`([a-z_]+)`', text)


def test_the_readme_lists_the_pipelines_of_api_paste_ini_in_order():
    parser = configparser.ConfigParser(interpolation=None)
    parser.read(os.path.join(ROOT, 'etc', 'api-paste.ini'))
    pipelines = [value.split() for key, value
                 in parser['composite:sora-api'].items() if key != 'use']
    with open(os.path.join(ROOT, 'README.md')) as f:
        readme = f.read()
    flow = readme.split('1. `etc/api-paste.ini`', 1)[1].split(
        'The middleware are', 1)[0]
    # "`a` → `b` → auth (`x`, `y`, or `z` + `w`) → `app`"
    before, rest = flow.split(' auth', 1)
    alternatives, after = rest.split(')', 1)
    common, auth, last = _names(before), _names(alternatives), _names(after)

    assert pipelines
    for names in pipelines:
        assert names[:len(common)] == common, names
        assert names[-1:] == last, names
    assert set(auth) == {name for names in pipelines
                         for name in names[len(common):-1]}
