"""The queue rules of Hàng Đợi: plain functions over the storage, returning what happened."""
from .context import PRIORITIES, RuleContext
from .errors import Conflict, Forbidden, Invalid, NotFound, RateLimited, RuleError
from .events import SYSTEM, Actor, Event
from .service import Outcome, QueueService

__all__ = ["PRIORITIES", "RuleContext", "RuleError", "Invalid", "NotFound", "Conflict", "Forbidden", "RateLimited",
           "Actor", "Event", "SYSTEM", "Outcome", "QueueService"]
