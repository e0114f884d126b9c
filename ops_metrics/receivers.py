"""Signal receivers: writes to the data the metrics read invalidate the cache after commit."""
