"""Choosing CPU or CUDA for each runtime."""

from __future__ import annotations

import logging

from hub.settings import Device

_LOGGER = logging.getLogger(__name__)


def ctranslate2_device(device: Device) -> str:
    """`cuda` or `cpu` for CTranslate2; `cuda` when asked must be available."""
    import ctranslate2

    gpus = ctranslate2.get_cuda_device_count()
    if device is Device.CUDA and gpus == 0:
        raise RuntimeError("--device cuda: CTranslate2 sees no CUDA device")
    if device is Device.AUTO:
        return "cuda" if gpus > 0 else "cpu"
    return device.value


def onnx_providers(device: Device) -> list[str]:
    """onnxruntime execution providers, CUDA first when chosen and present."""
    import onnxruntime

    available = onnxruntime.get_available_providers()
    has_cuda = "CUDAExecutionProvider" in available
    if device is Device.CUDA and not has_cuda:
        raise RuntimeError(
            "--device cuda: onnxruntime has no CUDAExecutionProvider (install onnxruntime-gpu)"
        )
    if device is not Device.CPU and has_cuda:
        return ["CUDAExecutionProvider", "CPUExecutionProvider"]
    return ["CPUExecutionProvider"]
