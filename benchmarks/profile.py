"""Sample a worker with py-spy during a load run and keep the top lines."""

import collections
import os
import shutil
import subprocess
import sys


def executable():
    """py-spy on PATH or next to this Python (pip install py-spy)."""
    beside = os.path.join(os.path.dirname(sys.executable), 'py-spy')
    return shutil.which('py-spy') or (beside if os.path.exists(beside)
                                      else None)


def available():
    return executable() is not None


def start(pid, seconds, raw_path, rate=50):
    """Start ``py-spy record`` on ``pid``; returns the process or None."""
    if not available():
        return None
    return subprocess.Popen(
        [executable(), 'record', '-p', str(pid),
         '-d', str(max(1, int(seconds))), '-r', str(rate),
         '-f', 'raw', '-o', raw_path],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def finish(process, raw_path, summary_path, title, top=25):
    """Wait for py-spy, write the summary; returns its path or None."""
    if process is None:
        return None
    try:
        process.wait(timeout=120)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    if not os.path.exists(raw_path):
        return None
    with open(raw_path) as f:
        text = summarize(f, top)
    # The run writes its other outputs only at its end.
    os.makedirs(os.path.dirname(os.path.abspath(summary_path)), exist_ok=True)
    with open(summary_path, 'w') as f:
        f.write('# %s\n\n%s' % (title, text))
    return summary_path


def summarize(lines, top=25):
    """Self and total shares of the hottest frames of py-spy raw output."""
    own, total, samples = collections.Counter(), collections.Counter(), 0
    for line in lines:
        stack, _, count = line.rstrip().rpartition(' ')
        if not stack or not count.isdigit():
            continue
        count = int(count)
        samples += count
        frames = stack.split(';')
        own[frames[-1]] += count
        for frame in set(frames):
            total[frame] += count
    if not samples:
        return 'no samples\n'
    out = ['samples: %d' % samples, '', 'self (where the CPU is):']
    out += ['%5.1f%%  %s' % (100.0 * n / samples, f)
            for f, n in own.most_common(top)]
    out += ['', 'total, sora_api frames (who asked for it):']
    out += ['%5.1f%%  %s' % (100.0 * n / samples, f)
            for f, n in total.most_common()
            if 'sora_api/' in f][:top]
    return '\n'.join(out) + '\n'
