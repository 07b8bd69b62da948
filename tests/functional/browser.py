"""Headless Debian Chromium driven by Selenium, for the dashboard tests.

Uses the system's ``/usr/bin/chromium`` and ``/usr/bin/chromedriver``
(Debian's ``chromium`` and ``chromium-driver``); the driver path is given
explicitly, so Selenium Manager never tries to download one.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get('SORA_TEST_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('SORA_TEST_CHROMEDRIVER',
                              '/usr/bin/chromedriver')
# Set by .ci/run: there, a missing browser is a failure, not a skip.
REQUIRED = os.environ.get('SORA_TEST_BROWSER') == '1'


def missing():
    """Why the browser tests cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return 'selenium is not installed (test-requirements.txt)'
    for path, package in ((CHROMIUM, 'chromium'),
                          (CHROMEDRIVER, 'chromium-driver')):
        if not (os.path.isfile(path) or shutil.which(path)):
            return ('%s not found: apt-get install --no-install-recommends '
                    '%s' % (path, package))
    return None


def require():
    reason = missing()
    if reason and REQUIRED:
        pytest.fail('SORA_TEST_BROWSER=1 but ' + reason)
    if reason:
        pytest.skip(reason)


def start(width=1280, height=800):
    """A headless Chromium at ``width`` x ``height``."""
    from selenium import webdriver
    from selenium.webdriver.chrome import service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox', '--disable-gpu',
                     '--disable-dev-shm-usage', '--no-first-run',
                     '--disable-extensions', '--disable-background-networking',
                     '--window-size=%d,%d' % (width, height)):
        options.add_argument(argument)
    driver = webdriver.Chrome(
        options=options, service=service.Service(executable_path=CHROMEDRIVER))
    driver.set_window_size(width, height)
    return driver
