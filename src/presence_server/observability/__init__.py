"""What the server tells its operators: logs and Prometheus metrics."""
