"""Time from launch to a shown window with the sample loaded (warm disk: median of 5 runs).

    python build_scripts/startup_time.py [COMMAND...]   (default: .venv/bin/lowlight-studio)
"""
import os
import statistics
import subprocess
import sys
import time


def main() -> int:
    cmd = sys.argv[1:] or [os.path.join(".venv", "bin", "lowlight-studio")]
    env = {**os.environ, "QT_QPA_PLATFORM": os.environ.get("QT_QPA_PLATFORM", "offscreen")}
    subprocess.run(cmd + ["--exit-when-shown"], env=env, check=True, capture_output=True)  # warm
    times = []
    for _ in range(5):
        t = time.perf_counter()
        subprocess.run(cmd + ["--exit-when-shown"], env=env, check=True, capture_output=True)
        times.append(time.perf_counter() - t)
    print(f"start-up to shown window with the sample: median {statistics.median(times):.2f} s "
          f"(runs: {', '.join(f'{t:.2f}' for t in times)}; target <= 3 s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
