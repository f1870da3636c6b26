"""Live presence streams: the event log read in order and fanned out.

``Streams`` (``streaming.service``) wires the parts: ``feed`` reads the
``events`` table in revision order, ``hub`` queues each run of events for
every subscriber whose ``ViewFilter`` wants it, ``subscription`` runs one
stream (snapshot or resume, then live), ``log`` reads and prunes the table.
Nothing here imports protobuf: the API layer passes an ``Encoder``.
"""

from presence_server.streaming.filters import ViewFilter
from presence_server.streaming.hub import (
    Encoder,
    Hub,
    StreamEnded,
    SubscriberTooSlow,
)
from presence_server.streaming.log import LogEntry
from presence_server.streaming.service import StreamConfig, Streams
from presence_server.streaming.subscription import Subscription

__all__ = [
    "Encoder",
    "Hub",
    "LogEntry",
    "StreamConfig",
    "StreamEnded",
    "Streams",
    "SubscriberTooSlow",
    "Subscription",
    "ViewFilter",
]
