"""Helpers shared by the tests (``from tests.helpers.server import ...``).

- ``helpers.server``: run a real presence server, in-process
  (``running_server``) or as a ``presence-server`` child process
  (``ServerProcess``), and poll with a deadline (``wait_until`` in sync
  code, ``poll_until`` in async code).
"""
