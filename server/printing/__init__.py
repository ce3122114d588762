"""Durable print jobs and printer states: plain functions over the storage (no Flask, no Socket.IO).

A ticket issued by a kiosk gets one row in ``print_jobs`` inside the very transaction that
issues it (``server.rules.tickets``), so a committed ticket always has its job. The web layer
(``server.printing.relay``) hands jobs to that kiosk's print agent and records its answers here.

Job life: ``pending`` (created) → ``sent`` (handed to an agent, maybe more than once) →
``printed`` | ``failed`` (the agent's answer) | ``expired`` (older than ``printing.max_delay_s``
before it was printed: the visitor already read the code on screen, a late paper would only
confuse the next person at the kiosk).
"""
from .jobs import (OPEN, PRINTER_STATES, acknowledge, create_job, device_state, expire_old, job_payload,
                   mark_sent, open_jobs, priority_label, set_device_state)

__all__ = ["OPEN", "PRINTER_STATES", "acknowledge", "create_job", "device_state", "expire_old", "job_payload",
           "mark_sent", "open_jobs", "priority_label", "set_device_state"]
