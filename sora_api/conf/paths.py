"""Options for where Sora keeps its state."""

import os

from oslo_config import cfg

path_opts = [
    cfg.StrOpt(
        'state_path',
        default=os.path.join(os.path.expanduser('~'), '.local', 'share',
                             'sora'),
        sample_default='$HOME/.local/share/sora',
        help="""
Directory where Sora keeps its state.

The default SQLite database (``[database] connection`` unset) is the file
``sora.sqlite`` in this directory; it is created on first start.
"""),
]


def register_opts(conf):
    conf.register_opts(path_opts)


def list_opts():
    return {'DEFAULT': path_opts}
