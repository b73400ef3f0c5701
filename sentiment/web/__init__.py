"""HTTP serving shared by the model server and the local stack: gunicorn's asyncio worker, whole requests
buffered before the application sees them, JSON for every error, ports."""
