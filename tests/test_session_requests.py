"""The requests in flight, kept by the session without a window (#22 part 1): which preview
reply still belongs on screen, which 100% tile is wanted, which request is being saved, and
that replacing the image (another photo, a turn, a video frame) makes the old replies stale.

A fake engine stands in for the window's: it numbers requests from one counter and answers
them in whatever order a test chooses, as the real one may (a slider drag skips some)."""
from __future__ import annotations

import numpy as np
import pytest

from app.core import EditStore, ImageMeta, VideoInfo, write_image
from app.session.requests import PendingRequests
from app.session.session import Session


class FakeEngine:
    """Hands out ids as app.gui.workers.EngineClient does; keeps what was asked."""

    def __init__(self):
        self.last = 0
        self.asked: dict[int, str] = {}

    def new_id(self) -> int:
        self.last += 1
        return self.last

    def request(self, kind: str) -> int:
        request_id = self.new_id()
        self.asked[request_id] = kind
        return request_id


def ask_preview(session: Session, engine: FakeEngine) -> int:
    request_id = engine.request("preview")
    session.pending.preview_asked(request_id)
    return request_id


@pytest.fixture
def session(tmp_path, dark_photo):
    folder = tmp_path / "night"
    folder.mkdir()
    for name in ("a.png", "b.png"):
        write_image(folder / name, dark_photo)
    s = Session(EditStore(tmp_path / "store"))
    s.catalog.open_folder(folder)
    image, meta = s.photos.read(folder / "a.png")
    s.show(image, meta, folder / "a.png")
    return s


def test_a_slider_drag_shows_the_newest_reply_and_never_an_older_one(session):
    engine = FakeEngine()
    first, second, third = (ask_preview(session, engine) for _ in range(3))
    pending = session.pending
    assert pending.preview_waiting and pending.latest_preview == third
    assert pending.preview_shown(second)  # the engine skipped the first
    assert not pending.preview_shown(first)  # late: older than the one on screen
    assert pending.preview_waiting
    assert pending.preview_shown(third)
    assert not pending.preview_waiting and pending.shown_preview == third
    assert not pending.preview_shown(third)  # the same reply twice is shown once


def test_replies_for_a_replaced_photo_are_stale(session, dark_photo):
    engine = FakeEngine()
    old = ask_preview(session, engine)
    tile = engine.request("detail")
    session.pending.detail_asked(tile)
    b = session.catalog.paths[1]
    image, meta = session.photos.read(b)
    session.show(image, meta, b)  # the next photo, before the engine answered
    assert session.pending.is_stale(old) and not session.pending.preview_shown(old)
    assert not session.pending.is_current_detail(tile)
    new = ask_preview(session, engine)
    assert session.pending.preview_shown(new)


def test_a_turn_or_a_crop_makes_the_old_replies_stale_but_not_a_change_of_nothing(session):
    engine = FakeEngine()
    before_turn = ask_preview(session, engine)
    assert session.set_geometry(quarter_turns=1)  # the image is another now
    assert session.image.shape[:2] == session.original.shape[1::-1]
    assert not session.pending.preview_shown(before_turn)
    kept = ask_preview(session, engine)
    assert not session.set_geometry(quarter_turns=1)  # the same turn: nothing replaced
    assert not session.refresh_geometry()
    assert session.pending.preview_shown(kept)


def test_the_100_percent_tile_asked_last_is_the_only_one_shown(session):
    engine = FakeEngine()
    pending = session.pending
    first = engine.request("detail")
    pending.detail_asked(first)
    second = engine.request("detail")  # the view moved on
    pending.detail_asked(second)
    assert not pending.is_current_detail(first) and pending.is_current_detail(second)
    pending.forget_detail()  # answered, or the view left 100%
    assert pending.detail is None and not pending.is_current_detail(second)


def test_a_save_stays_in_flight_when_another_photo_opens(session):
    engine = FakeEngine()
    pending = session.pending
    save = engine.request("full")
    pending.save_started(save)
    preview = ask_preview(session, engine)
    assert pending.saving and pending.is_save(save) and not pending.is_save(preview)
    b = session.catalog.paths[1]
    image, meta = session.photos.read(b)
    session.show(image, meta, b)  # the file being written is the old photo's: it goes on
    assert pending.is_save(save)
    pending.save_ended()
    assert not pending.saving and not pending.is_save(save)


def test_video_frames_share_the_engines_counter_so_a_later_preview_is_newer(session):
    engine = FakeEngine()
    clip = session.catalog.folder / "clip.mp4"  # never read: the session takes the pixels
    frame = np.zeros((36, 64, 3), np.uint8)
    session.show(frame, ImageMeta(), clip, VideoInfo(64, 36, 12.0, 24, 2.0, "h264", False))
    for _ in range(50):  # frames shown by the player, no engine request among them
        session.show_frame(frame)
        session.pending.frame_shown(engine.new_id())
    assert session.pending.shown_preview == 50 and not session.pending.preview_waiting
    image, meta = session.photos.read(session.catalog.paths[0])
    session.show(image, meta, session.catalog.paths[0])
    assert session.pending.preview_shown(ask_preview(session, engine))


def test_a_fresh_ledger_waits_for_nothing():
    pending = PendingRequests()
    assert not pending.preview_waiting and not pending.saving and pending.detail is None
    assert pending.is_stale(0) and not pending.is_stale(1)
