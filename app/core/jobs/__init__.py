"""Jobs: work over many files, built on the engine and media rooms. Batch discovery and output
naming, the batch runner with per-file outcomes and its report, pause/cancel control, and the
video export pipeline (decode -> enhance -> encode threads)."""
