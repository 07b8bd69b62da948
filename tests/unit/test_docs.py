"""The generated references in docs/ match the code they describe."""

import importlib.util
import os

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__))))


def _tool(name):
    path = os.path.join(ROOT, 'tools', name + '.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _read(*parts):
    with open(os.path.join(ROOT, *parts)) as f:
        return f.read()


@pytest.mark.parametrize('tool, doc', [
    ('gen_api_reference', 'api-reference.md'),
    ('gen_config_reference', 'configuration.md'),
])
def test_the_generated_reference_is_up_to_date(tool, doc):
    assert _tool(tool).render() == _read('docs', doc), (
        'docs/%s is stale: run python tools/%s.py' % (doc, tool))


def test_the_api_reference_names_every_route():
    from sora_api.api import router
    reference = _read('docs', 'api-reference.md')
    for path, methods in router.ROUTES.items():
        for method in methods:
            assert '### %s %s\n' % (method, path) in reference
