"""Watching the deployed model: the drift report over SageMaker Data Capture files (workstation)."""
