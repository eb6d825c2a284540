"""Feed polling shared by any number of poller processes through Redis.

schedule.py  the Redis side of the schedule: claim due feeds with a lease, finish a poll
registry.py  the feed list in Redis: add, remove, import, status
poller.py    the loop: claim, conditional GET, feedparser on bytes, enqueue, reschedule
"""

from service.poll.poller import Poller, PollOutcome, PollSettings, SeenBounds
from service.poll.registry import FeedRegistry

__all__ = ["FeedRegistry", "PollOutcome", "PollSettings", "Poller", "SeenBounds"]
