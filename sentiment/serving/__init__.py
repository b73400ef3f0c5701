"""The model server the SageMaker container runs (model/Dockerfile installs the `serve` group): the
four SageMaker handler functions, the WSGI app with /ping and /invocations, the launcher."""
