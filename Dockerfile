# syntax=docker/dockerfile:1
# The homevoice hub image.
#
#   CPU (default):  docker build -t homevoice-hub .
#   NVIDIA GPU:     docker build --build-arg BASE=cuda -t homevoice-hub:cuda .
#
#   docker run -d --name homevoice-hub --network host -v homevoice-data:/data homevoice-hub
#   docker run -d --name homevoice-hub --network host --gpus all -v homevoice-data:/data \
#       homevoice-hub:cuda --uri tcp://0.0.0.0:10300 --data-dir /data --device cuda
#
# Both images carry Whisper tiny.en and the Piper voice en_US-joe-medium (Python packages), so they
# answer offline from the first start; other models are looked for in /data (a volume). Arguments
# after the image name replace the default ones (CMD below), so repeat --uri and --data-dir.
# The health check talks to port 10300: pass -e HOMEVOICE_HEALTHCHECK_PORT=N when --uri moves it.

ARG BASE=cpu
ARG PYTHON_IMAGE=python:3.13-slim-trixie
ARG CUDA_IMAGE=nvidia/cuda:12.8.1-cudnn-runtime-ubuntu24.04

# Python 3.13, as the Home Assistant add-on. Every dependency ships a wheel (manylinux, glibc 2.35
# or newer, amd64 and arm64) that bundles its native libraries, espeak-ng's data included in
# piper-tts: no compiler and no Debian package needed.
FROM ${PYTHON_IMAGE} AS base-cpu
RUN python3 -m venv /opt/venv

# CUDA 12 with cuDNN 9 (NVIDIA driver 535 or newer on the host): the CTranslate2 4.x wheels
# (faster-whisper) load libcublas.so.12, and onnxruntime-gpu (Piper) is built for CUDA 12 and
# cuDNN 9 up to 1.26; from 1.27 on it is built for CUDA 13. Ubuntu 24.04's Python is 3.12.
FROM ${CUDA_IMAGE} AS base-cuda
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 python3-venv \
    && rm -rf /var/lib/apt/lists/* \
    && python3 -m venv /opt/venv

# hadolint ignore=DL3006
FROM base-${BASE}
ARG BASE

LABEL org.opencontainers.image.title="homevoice-hub" \
      org.opencontainers.image.description="homevoice hub: Wyoming speech-to-text, text-to-speech, wake word and conversation" \
      org.opencontainers.image.source="https://github.com/homevoice/homevoice"

ENV PATH="/opt/venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    ORT_DISABLE_TELEMETRY=1

# The hub and its default models, installed as the README says (`pip install '.[hub,models]'`),
# from the build context mounted for this step only: no copy of the source stays in the image.
# onnxruntime and onnxruntime-gpu are the same `onnxruntime` module: the CUDA image replaces one
# with the other (pip would otherwise install both, and either could win).
# The CUDA pair is pinned exactly, both built for CUDA 12 and cuDNN 9 as this base image has:
# CTranslate2 4.8.5 (faster-whisper's engine; its wheel loads libcublas.so.12, and it is the
# version the tests run against) and onnxruntime-gpu 1.26.0 (Piper), the last release built for
# CUDA 12: 1.27.0 and later depend on the cu13 NVIDIA packages. A newer pair is chosen by hand,
# both at once, after the hub has run on a GPU with it.
WORKDIR /usr/src/homevoice
# hadolint ignore=DL3013
RUN --mount=type=bind,target=/usr/src/homevoice,rw \
    pip install --no-cache-dir ".[hub,models]" \
    && if [ "${BASE}" = "cuda" ]; then \
        pip uninstall -y onnxruntime \
        && pip install --no-cache-dir "ctranslate2==4.8.5" "onnxruntime-gpu==1.26.0"; \
    fi

RUN groupadd --system --gid 10300 homevoice \
    && useradd --system --uid 10300 --gid 10300 --create-home --home-dir /home/homevoice homevoice \
    && mkdir -p /data \
    && chown 10300:10300 /data
USER 10300:10300
WORKDIR /home/homevoice
VOLUME /data

EXPOSE 10300 10380

# A Wyoming describe: the answer must be an "info" event (its data is read too, so the hub sees a
# clean close, not a reset). The start period covers loading and warming the models.
HEALTHCHECK --interval=30s --timeout=10s --start-period=5m --retries=3 \
    CMD ["python", "-c", "import json, os, socket; s = socket.create_connection(('127.0.0.1', int(os.environ.get('HOMEVOICE_HEALTHCHECK_PORT') or 10300)), timeout=5); s.sendall(json.dumps({'type': 'describe'}).encode() + b'\\n'); f = s.makefile('rb'); h = json.loads(f.readline(65536)); f.read(h.get('data_length') or 0); raise SystemExit(h.get('type') != 'info')"]

ENTRYPOINT ["homevoice-hub"]
CMD ["--uri", "tcp://0.0.0.0:10300", "--data-dir", "/data"]
