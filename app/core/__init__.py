"""Headless enhancement engine; never imports Qt. The GUI and the CLI use only this API.

Rooms, arrows pointing down only (jobs -> engine, media; engine -> model only through the
torch backend; nothing imports jobs but the callers above core):

- :mod:`app.core.settings`  what the user chose (one frozen dataclass, shared by everyone)
- :mod:`app.core.presets`   named settings in a JSON file (window, batch tab and CLI)
- :mod:`app.core.photo_edits` each photo's own settings, flag, rating and crop (sidecars)
- :mod:`app.core.model`     the EFE net, losses, segmenter, training, weights I/O (torch)
- :mod:`app.core.engine`    inference: Enhancer, backends, exposure, kernels, heatmap
- :mod:`app.core.media`     image and video files
- :mod:`app.core.jobs`      batches, video export, pause/cancel, reports
"""
from app.core.engine.enhancer import Enhancer, EnhanceResult
from app.core.engine.heatmap import STOPS as HEATMAP_STOPS
from app.core.engine.heatmap import gain_heatmap, heatmap_image
from app.core.engine.heatmap import palette as heatmap_palette
from app.core.jobs.batch import plan_outputs, run_batch
from app.core.jobs.control import BatchControl, BatchInterrupted, Cancelled
from app.core.jobs.discovery import MEDIA_SUFFIXES, BatchItem, OutputOptions, discover, is_video
from app.core.jobs.report import BatchReport, Outcome, printable
from app.core.jobs.video_export import VideoResult, enhance_video
from app.core.media.camera_formats import keep_suffix
from app.core.media.images import (
    DEFAULT_MAX_MEGAPIXELS,
    IMAGE_SUFFIXES,
    ImageMeta,
    ImageReadError,
    ImageTooLarge,
    ImageWriteError,
    format_for_path,
    read_image,
    to_uint8,
    write_image,
)
from app.core.media.video import VideoInfo, VideoReadError, VideoWriteError, probe, read_frame
from app.core.photo_edits import EditsError, EditStore, PhotoEdits
from app.core.presets import PresetError, PresetStore
from app.core.settings import EnhanceSettings, VideoOptions

__all__ = [
    "BatchControl", "BatchInterrupted", "BatchItem", "BatchReport", "Cancelled",
    "DEFAULT_MAX_MEGAPIXELS", "discover", "EditsError", "EditStore", "enhance_video",
    "Enhancer", "EnhanceResult", "EnhanceSettings", "format_for_path", "gain_heatmap",
    "heatmap_image", "heatmap_palette", "HEATMAP_STOPS", "IMAGE_SUFFIXES", "ImageMeta",
    "ImageReadError", "ImageTooLarge", "ImageWriteError", "is_video", "keep_suffix",
    "MEDIA_SUFFIXES", "Outcome", "OutputOptions", "PhotoEdits", "plan_outputs", "PresetError",
    "PresetStore", "printable", "probe", "read_frame", "read_image", "run_batch", "to_uint8",
    "VideoInfo", "VideoOptions", "VideoReadError", "VideoResult", "VideoWriteError",
    "write_image",
]
