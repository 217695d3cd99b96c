"""The last few photos decoded, kept so that going back to one is instant (a 24 MP JPEG
takes longer to decode than the 0.3 s next/previous may take), and the next one decoded
ahead while the user looks at this one. Keyed by path, size and modification time: a file
changed on disk is read again. Thread-safe: the window reads in its thread, the look-ahead
in a background one; a photo being decoded by one is waited for by the other, not decoded
twice."""
from __future__ import annotations

import os
import threading
from collections import OrderedDict
from pathlib import Path

import numpy as np

from app.core import ImageMeta, read_image

KEEP = 4  # photos: a 24 MP photo and its copies are ~80 MB
MAX_BYTES = 1 << 30  # ...but never more than 1 GB of them (16-bit RAWs of 50 MP are 300 MB)


def file_key(path: Path) -> tuple[str, int, int] | None:
    try:
        st = os.stat(path)
    except OSError:
        return None
    return str(path), st.st_mtime_ns, st.st_size


class PhotoCache:
    def __init__(self, keep: int = KEEP, max_bytes: int = MAX_BYTES):
        self.keep, self.max_bytes = keep, max_bytes
        self._items: OrderedDict[tuple, tuple[np.ndarray, ImageMeta]] = OrderedDict()
        self._extras: dict[tuple, dict] = {}
        self._lock = threading.Lock()
        self._loading: dict[tuple, threading.Event] = {}

    def read(self, path: Path) -> tuple[np.ndarray, ImageMeta]:
        """The photo (read-only array) and its metadata; ImageReadError as read_image."""
        key = file_key(path)
        if key is None:
            return read_image(path)  # gone or unreadable: the reader says why
        while True:
            with self._lock:
                if key in self._items:
                    self._items.move_to_end(key)
                    return self._items[key]
                busy = self._loading.get(key)
                if busy is None:
                    self._loading[key] = threading.Event()
                    break
            busy.wait()  # the other thread's decode: its result, or our own try if it failed
        try:
            image, meta = read_image(path)
            image.setflags(write=False)
            with self._lock:
                self._items[key] = (image, meta)
                self._trim()
            return image, meta
        finally:
            with self._lock:
                self._loading.pop(key).set()

    def _bytes(self) -> int:
        arrays = [image for image, _ in self._items.values()]
        arrays += [v for extra in self._extras.values() for v in extra.values()
                   if isinstance(v, np.ndarray)]
        return sum(a.nbytes for a in arrays)

    def _trim(self) -> None:
        """The oldest photos go while over the count or the memory budget (the newest
        always stays). Called with the lock held."""
        while len(self._items) > 1 and (len(self._items) > self.keep or
                                        self._bytes() > self.max_bytes):
            old, _ = self._items.popitem(last=False)
            self._extras.pop(old, None)

    def extra(self, path: Path, name, make):
        """A value derived from the cached photo (its turned copy, its preview), made once
        while the photo stays cached."""
        key = file_key(path)
        with self._lock:
            store = self._extras.setdefault(key, {}) if key in self._items else None
            if store is not None and name in store:
                return store[name]
        value = make()
        if store is not None:
            with self._lock:
                value = store.setdefault(name, value)
                self._trim()
        return value

    def __contains__(self, path: Path) -> bool:
        with self._lock:
            return file_key(path) in self._items
