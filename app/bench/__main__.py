"""``python -m app.bench``: the photo benchmark (the others: app.bench.batch, .video, .gui)."""
import sys

from app.bench.photo import main

sys.exit(main())
