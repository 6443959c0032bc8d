"""The portal's settings for a worker process an integration test starts.

They are the real settings, but tasks the worker itself queues (a dispatch queuing the sends)
go to the test's own queue, where the test's workers take them, not to the default one.
"""

import os

from portal.settings import *  # noqa: F403

CELERY_TASK_DEFAULT_QUEUE = os.environ["TEST_CELERY_QUEUE"]
