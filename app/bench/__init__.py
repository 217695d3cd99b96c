"""Benchmarks: every speed claim as a ratio measured side by side in one run.

    python -m app.bench.photo   engine vs plain PyTorch SGZ, end to end, memory, first run
    python -m app.bench.batch   a folder enhanced vs copied through the same batch engine
    python -m app.bench.video   1080p H.264 -> H.264 enhanced vs a plain decode + encode
    python -m app.bench.gui     slider-to-preview latency of the real window (offscreen)
"""
