"""Command-line entry points: ``presence-server`` (the server process, in
``server``) and ``presencectl`` (the admin client, in ``ctl``)."""
