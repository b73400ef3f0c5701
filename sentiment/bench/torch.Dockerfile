# The benchmarks' baseline image (make bench-containers): the model server on eager torch, as the model
# image was before the server moved to ONNX Runtime. Not for deployment: model/Dockerfile is.
FROM python:3.11-slim
ARG TORCH_INDEX_URL=https://download.pytorch.org/whl/cpu
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /opt/program
# hadolint ignore=DL3013
RUN pip install torch==2.13.0 --index-url "$TORCH_INDEX_URL"
COPY pyproject.toml README.md ./
COPY sentiment ./sentiment
# hadolint ignore=DL3013
RUN pip install '.[serve]'
EXPOSE 8080
CMD ["python", "-m", "sentiment.bench.torch_server", "/opt/ml/model", "8080", "2", "0.0.0.0"]
