"""Operating the deployed service: what is billing now, and the idle-endpoint reaper (pure boto3, so the
reaper's Lambda runs it from the layer)."""
