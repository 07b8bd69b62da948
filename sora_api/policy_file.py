"""The operator's policy file checked whole, each problem with its line.

oslo.policy reads the file only at the first authorisation (a file it
cannot read then fails every request) and again whenever it changes.
``sora-api`` checks it at start and refuses to start with a broken one;
``sora-manage policy check`` checks it on demand, before a restart.
"""

import os

from oslo_policy import policy
import yaml

from sora_api import exception
from sora_api import policies


def find(conf):
    """The path of ``[oslo_policy] policy_file``, or None when absent.

    As oslo.policy does: an absolute path, else looked up next to the
    configuration files.
    """
    name = conf.oslo_policy.policy_file
    if os.path.isabs(name):
        return name if os.path.exists(name) else None
    return conf.find_file(name)


def _invalid(path, line, reason):
    return exception.PolicyFileInvalid(path=path, line=line, reason=reason)


def _rules(path, text):
    """``{rule name: (check string, line)}`` of the file's text."""
    try:
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as e:
        # The construct that failed starts at the context mark; the
        # problem's own mark may be the end of the file.
        mark = getattr(e, 'context_mark', None) or getattr(
            e, 'problem_mark', None)
        reason = ' '.join(filter(None, (getattr(e, 'context', None),
                                        getattr(e, 'problem', None))))
        raise _invalid(path, mark.line + 1 if mark else 1,
                       reason or str(e)) from None
    if node is None:
        return {}
    if not isinstance(node, yaml.MappingNode):
        raise _invalid(path, node.start_mark.line + 1,
                       'the file must map rule names to check strings')
    rules = {}
    for key, value in node.value:
        line = key.start_mark.line + 1
        if not (isinstance(key, yaml.ScalarNode)
                and isinstance(value, yaml.ScalarNode)
                and key.tag.endswith(':str') and value.tag.endswith(':str')):
            raise _invalid(path, line, 'a rule is a name and a check string '
                                       'in quotes')
        if key.value in rules:
            raise _invalid(path, line, 'rule %s is given twice' % key.value)
        rules[key.value] = (value.value, line)
    return rules


def check(conf):
    """Raise ``PolicyFileInvalid`` for the first problem of the policy file.

    A missing file is fine (the defaults in code apply). Returns the path
    checked, or None.
    """
    path = find(conf)
    if path is None:
        return None
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as e:
        raise _invalid(path, 1, str(e)) from None
    rules = _rules(path, text)
    for name, (check_str, line) in rules.items():
        parsed = policy.RuleDefault(name, check_str).check
        if str(parsed) == '!' and check_str.strip() != '!':
            raise _invalid(path, line, 'rule %s: cannot parse %r'
                           % (name, check_str))
    defaults = {rule.name for rule in policies.list_rules()}
    known = defaults | set(rules)
    for name, (check_str, line) in rules.items():
        if name.startswith('sora:') and name not in defaults:
            # A typo would silently override nothing.
            raise _invalid(path, line, '%s is not a Sora rule; see '
                           'oslopolicy-sample-generator --namespace sora'
                           % name)
        for word in check_str.replace('(', ' ').replace(')', ' ').split():
            if word.startswith('rule:') and word[5:] not in known:
                raise _invalid(path, line, 'rule %s refers to rule %s, '
                               'which is not defined' % (name, word[5:]))
    return path
