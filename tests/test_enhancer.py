"""The engine: backends, shapes and types, banding, threads, errors."""
import numpy as np
import pytest

from app.core import Enhancer, EnhanceSettings
from app.core.engine import pipeline, pixel_stage
from app.core.model.weights import load_model
from app.paths import default_weights


def test_shipped_weights_load_with_both_backends(enhancer):
    assert default_weights().exists() and default_weights().with_suffix(".onnx").exists()
    assert load_model().conditioned
    # the fast CPU path is picked automatically, and says so
    assert enhancer.backend_name == "OpenCV DNN (CPU) + numba"


def test_every_backend_gives_the_same_factor_map(dark_photo):
    small = dark_photo[::12, ::12].astype(np.float32) / 255
    maps = {b: Enhancer(backend=b).efe.factor(small, 0.5, 1) for b in ("opencv", "onnx", "torch")}
    np.testing.assert_allclose(maps["opencv"], maps["torch"], atol=1e-4)
    np.testing.assert_allclose(maps["onnx"], maps["torch"], atol=1e-4)


def test_the_opencv_net_runs_from_several_threads_at_once(dark_photo):
    """A cv2.dnn.Net is not thread-safe: each thread runs its own copy (batch workers)."""
    from app.core.engine import parallel

    efe = Enhancer(backend="opencv").efe
    rng = np.random.default_rng(4)
    smalls = [rng.random((75, 100, 3), dtype=np.float32) * 0.3 for _ in range(4)]
    alone = [efe.factor(s, 0.5, 1) for s in smalls]
    together = parallel.run_all([lambda s=s: efe.factor(s, 0.5, 1) for s in smalls * 3])
    for k, x_r in enumerate(together):
        np.testing.assert_array_equal(x_r, alone[k % 4])


def test_numba_and_numpy_paths_agree_within_one_level(enhancer, dark_photo):
    """The frozen app ships without numba and runs the numpy version of the same stage."""
    numpy_path = Enhancer(use_numba=False)
    for img in (dark_photo, dark_photo.astype(np.uint16) * 257):
        a = enhancer.enhance(img).image.astype(int)
        b = numpy_path.enhance(img).image.astype(int)
        limit = 1 if img.dtype == np.uint8 else 257
        assert np.abs(a - b).max() <= limit


def test_the_net_is_conditioned_on_exposure(dark_photo):
    means = [Enhancer().enhance(dark_photo, exposure=a).image.mean() for a in (0.3, 0.5, 0.7)]
    assert means[0] + 10 < means[1] < means[2] - 10, means


def test_more_strength_brightens_more(enhancer, dark_photo):
    means = [enhancer.enhance(dark_photo, iterations=n).image.mean() for n in (1, 4, 8, 16)]
    assert means[0] < means[1] < means[2] < means[3], means
    assert means[0] > dark_photo.mean()


def test_result_keeps_dtype_and_shape_for_gray_rgba_and_16bit(enhancer, dark_photo):
    gray = dark_photo[..., 1]
    r = enhancer.enhance(gray)
    assert r.image.shape == gray.shape and r.image.dtype == np.uint8
    assert r.image.mean() > gray.mean() * 1.5
    rgba = np.dstack([dark_photo, np.full(gray.shape, 77, np.uint8)])
    r = enhancer.enhance(rgba)
    assert r.image.shape == rgba.shape and (r.image[..., 3] == 77).all()
    deep = dark_photo.astype(np.uint16) * 257
    r16 = enhancer.enhance(deep)
    assert r16.image.dtype == np.uint16 and r16.image.shape == deep.shape
    r8 = enhancer.enhance(dark_photo)
    # same look at both depths (8-bit has a level of dither on top)
    assert np.abs(r16.image / 257.0 - r8.image).mean() < 0.6
    assert r8.gain_small.ndim == 2 and np.isfinite(r8.gain_small).all()


def test_banded_processing_and_threads_give_the_same_pixels(dark_photo, monkeypatch):
    e = Enhancer()
    one = e.enhance(dark_photo, threads=1)
    whole = one.image
    # several threads find the whole photo's brightness planes ahead, one finds each band's
    assert one.plan.despeckles
    np.testing.assert_array_equal(whole, e.enhance(dark_photo, threads=3).image)
    monkeypatch.setattr(pipeline, "BAND_PIXELS", 320 * 6)  # 6-row bands
    seen = []
    banded = e.enhance(dark_photo, progress=seen.append, threads=1).image
    np.testing.assert_array_equal(whole, banded)
    assert len(seen) > 10 and seen[-1] == 1.0
    # the check can see seams: bands without context rows differ
    monkeypatch.setattr(pipeline, "BASE_HALO", 0)
    assert not np.array_equal(whole, e.enhance(dark_photo, threads=1).image)


@pytest.mark.parametrize("shape", [(37, 53, 3), (1, 5, 3), (5, 1, 3), (2, 2, 3)])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_the_numba_brightness_planes_are_opencvs_numbers(shape, dtype):
    """One numba pass finds V and its despeckled copy (neighbours' range, median of 9,
    Wiener pull) with the numbers of the OpenCV filters the frozen app runs, edges too."""
    rng = np.random.default_rng(shape[0])
    rgb = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    rgb[shape[0] // 2, shape[1] // 2] = np.iinfo(dtype).max  # a hot pixel
    fast = pipeline.luma(rgb, 0.02, True, use_numba=True)
    plain = pipeline.luma(rgb, 0.02, True, use_numba=False)
    np.testing.assert_array_equal(fast.v, plain.v)
    np.testing.assert_array_equal(fast.despeckled, plain.despeckled)
    assert pipeline.luma(rgb, 0.02, False).despeckled is None


@pytest.mark.parametrize("kind", ["BoxMeans", "GridMeans"])
@pytest.mark.parametrize("shape, dtype", [((450, 600), np.uint8), ((7, 5), np.uint8),
                                          ((1, 1), np.uint8), ((2, 9), np.uint8),
                                          ((37, 41), np.uint16)])
def test_window_means_read_at_a_grid_are_the_box_filters(shape, dtype, kind):
    """The analysis reads its window means (the floor to black, the channels' excess) at a
    grid of pixels, from an integral image (BoxMeans) or summed there (GridMeans, numba):
    OpenCV's box filter's numbers, its mirrored edges too, for windows up to the reach
    they were made for."""
    import cv2

    from app.core.engine import guided

    rng = np.random.default_rng(shape[0])
    plane = rng.integers(0, np.iinfo(dtype).max, shape, endpoint=True).astype(dtype)
    means = getattr(guided, kind)(plane, 4, squares=True)
    rows = np.unique(rng.integers(0, shape[0], 20))
    cols = np.unique(rng.integers(0, shape[1], 20))
    for radius in (2, 4):
        size = (2 * radius + 1, 2 * radius + 1)
        box = cv2.boxFilter(plane.astype(np.float64), -1, size)
        squares = cv2.boxFilter(plane.astype(np.float64) ** 2, -1, size)
        np.testing.assert_allclose(means.means_every(3, radius), box[::3, ::3], rtol=1e-12)
        np.testing.assert_allclose(means.means(rows, cols, radius), box[np.ix_(rows, cols)],
                                   rtol=1e-12)
        np.testing.assert_allclose(means.means_every(3, radius, of_squares=True),
                                   squares[::3, ::3], rtol=1e-12)
    with pytest.raises(ValueError, match="reaches past"):  # made for windows up to 4
        means.means_every(3, 5)


def test_the_analysis_reads_its_windows_where_they_are_summed():
    """Where the kernel is compiled, integer planes' window means are summed at the grid
    (no integral image), the same numbers as BoxMeans'; float planes keep BoxMeans."""
    from app.core.engine import guided, guided_kernels

    plane = np.random.default_rng(1).integers(0, 256, (60, 80)).astype(np.uint8)
    assert type(guided.window_means(plane, 4)).__name__ == (
        "GridMeans" if guided_kernels.available else "BoxMeans")
    assert isinstance(guided.window_means(plane.astype(np.float32), 4), guided.BoxMeans)
    grid, table = guided.GridMeans(plane, 4, True), guided.BoxMeans(plane, 4, True)
    np.testing.assert_array_equal(grid.means_every(3, 2, True), table.means_every(3, 2, True))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape", [(450, 600), (4, 5), (1, 1)])
def test_the_channel_excess_in_one_pass_is_the_window_means(shape, dtype):
    """The channel excess reads five window means (R, G, B, V, V^2) in one pass where the
    channels' means are summed at their grid: BoxMeans' numbers exactly, and the same
    excess either way."""
    from app.core.engine import analysis, guided, guided_kernels

    if not guided_kernels.available:
        pytest.skip("numba is not installed")
    top = np.iinfo(dtype).max
    view = np.random.default_rng(shape[0]).integers(0, top, (*shape, 3), endpoint=True
                                                     ).astype(dtype)
    grids = [guided.GridMeans(np.ascontiguousarray(view[:, :, c]), 4) for c in range(3)]
    tables = [guided.BoxMeans(np.ascontiguousarray(view[:, :, c]), 4) for c in range(3)]
    v = guided.BoxMeans(view.max(axis=2), 2, squares=True)
    expected = [t.means_every(3, 2) for t in tables] + [v.means_every(3, 2),
                                                        v.means_every(3, 2, of_squares=True)]
    np.testing.assert_array_equal(guided.channel_means_every(grids, 3, 2), np.stack(expected))
    scale = 1.0 / top
    assert (analysis.channel_excess(view, scale, grids) ==
            analysis.channel_excess(view, scale, tables))


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_the_nets_copy_is_torchs_bilinear_downscale(dtype):
    """resample.downscale (compiled for a contiguous photo) gives the samples of torch's
    F.interpolate(bilinear, half-pixel centres), the resampling the net was trained with."""
    import torch
    import torch.nn.functional as F

    from app.core.engine import resample

    top = np.iinfo(dtype).max
    rgb = np.random.default_rng(9).integers(0, top, (301, 457, 3), endpoint=True).astype(dtype)
    mine = resample.downscale(rgb, 25, 38, float(top))
    x = torch.from_numpy(rgb.astype(np.float32) / top).permute(2, 0, 1)[None]
    theirs = F.interpolate(x, size=(25, 38), mode="bilinear", align_corners=False)
    # (torch scales to [0, 1] before it interpolates: float rounding, a 250th of a level)
    np.testing.assert_allclose(mine, theirs[0].permute(1, 2, 0).numpy(), atol=3e-5)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_channel_planes_are_the_views_channels(dtype):
    """exposure's channel planes (a compiled pass for a contiguous view, numpy's copies for
    any other) hold each channel, contiguous."""
    from app.core.engine import exposure

    top = np.iinfo(dtype).max
    rgb = np.random.default_rng(5).integers(0, top, (31, 47, 3), endpoint=True).astype(dtype)
    for view in (rgb, np.dstack((rgb, rgb[:, :, :1]))[:, :, :3]):
        planes = exposure._channel_planes(view)
        assert len(planes) == 3
        for c, plane in enumerate(planes):
            assert plane.flags.c_contiguous and plane.dtype == dtype
            np.testing.assert_array_equal(plane, rgb[:, :, c])


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
def test_brightness_is_the_largest_channel_however_it_is_computed(dtype):
    """analysis.brightness: the compiled pass for a contiguous photo and numpy's maxima for
    a view give the same numbers."""
    from app.core.engine import analysis, resample

    top = np.iinfo(dtype).max
    rgb = np.random.default_rng(7).integers(0, top, (37, 53, 3), endpoint=True).astype(dtype)
    expected = rgb.max(axis=2).astype(np.float32) * np.float32(1.0 / resample.pixel_max(dtype))
    contiguous = analysis.brightness(rgb)
    view = analysis.brightness(np.dstack((rgb, rgb[:, :, :1]))[:, :, :3])  # strided
    assert contiguous.dtype == view.dtype == np.float32
    np.testing.assert_array_equal(contiguous, expected)
    np.testing.assert_array_equal(view, expected)


@pytest.mark.parametrize("dtype", [np.uint8, np.uint16])
@pytest.mark.parametrize("shape, scale", [((900, 1200), 4), ((12, 9), 3), ((4, 4), 4),
                                          ((7, 10), 1), ((903, 1201), 4)])
def test_the_colour_copy_is_opencvs_area_reduction(shape, scale, dtype):
    """reduce_kernels' block means give OpenCV's INTER_AREA result exactly (its rounding
    of 8 and 16-bit values included); sizes that are not whole blocks keep OpenCV's."""
    import cv2

    from app.core.engine import analysis, resample

    top = np.iinfo(dtype).max
    rgb = np.random.default_rng(shape[1]).integers(0, top, (*shape, 3), endpoint=True
                                                   ).astype(dtype)
    size = (shape[1] // scale, shape[0] // scale)
    expected = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA).astype(np.float32)
    expected *= np.float32(1.0 / resample.pixel_max(dtype))
    mine = analysis.colour_copy(rgb, scale)
    assert mine.dtype == np.float32
    np.testing.assert_array_equal(mine, expected)


@pytest.mark.parametrize("shape", [(450, 600), (75, 100), (5, 2), (1, 1)])
def test_the_fused_guided_filter_is_opencvs(shape, monkeypatch):
    """guided_kernels' two-pass coefficients (self-guided: the bases; joint, one source:
    the factor model; joint, three: the colour model) give the box filters' numbers up to
    float rounding."""
    from app.core.engine import guided, guided_kernels

    if not guided_kernels.available:
        pytest.skip("numba is not installed")
    rng = np.random.default_rng(shape[1])
    guide = (rng.random(shape) ** 2).astype(np.float32)
    src = (guide[:, :, None] * rng.random(3) + 0.1 * rng.random((*shape, 3))).astype(np.float32)
    one = np.ascontiguousarray(src[:, :, 0])
    fused = (guided.coefficients(guide, guide, 2, 1e-3, stacked=True),
             np.stack(guided.coefficients(guide, one, 4, 1e-3)),
             guided.stacked_channels(guide, src, 3, 1e-3))
    monkeypatch.setattr(guided, "_kernels", lambda: None)
    boxes = (guided.coefficients(guide, guide, 2, 1e-3, stacked=True),
             np.stack(guided.coefficients(guide, one, 4, 1e-3)),
             guided.stacked_channels(guide, src, 3, 1e-3))
    for mine, theirs in zip(fused, boxes, strict=True):
        assert mine.shape == theirs.shape and mine.dtype == np.float32
        np.testing.assert_allclose(mine, theirs, atol=2e-5)


@pytest.mark.parametrize("shape", [(450, 600), (3, 3), (4, 97)])
def test_the_numba_noise_measure_is_opencvs(shape, monkeypatch):
    """noise_kernels' one-pass Laplacian and gradient give the OpenCV filters' sigma (the
    sums in another order: float rounding apart)."""
    from app.core.engine import compiled, exposure, noise_kernels

    rng = np.random.default_rng(7)
    v = (np.linspace(0, 0.5, shape[1], dtype=np.float32)[None, :] +
         rng.normal(0, 0.01, shape).astype(np.float32))
    fast = exposure.noise_sigma(v)
    monkeypatch.setattr(noise_kernels, "available", False)
    monkeypatch.setattr(compiled, "available", False)
    plain = exposure.noise_sigma(v)
    assert fast == pytest.approx(plain, rel=1e-5)
    if shape[0] > 100:
        assert fast == pytest.approx(0.01, rel=0.1)  # and it is the noise


def test_bases_found_ahead_give_the_bands_own(dark_photo):
    """A photo's bases found once beside the exposure search (pipeline.luma's with_bases)
    render what each band finds for itself with its context rows; a plan that does not
    despeckle, or was made for another noise, does not use them."""
    e = Enhancer()
    plan = e.plan(dark_photo, EnhanceSettings().validated(), threads=1)
    assert plan.despeckles
    ahead = pipeline.luma(dark_photo, plan.sigma, True, with_bases=True)
    assert ahead.bases_for(plan) is not None
    for threads in (1, 3):
        np.testing.assert_array_equal(
            pipeline.render(dark_photo, plan, threads=threads, known=ahead),
            pipeline.render(dark_photo, plan, threads=threads))
    other = pipeline.luma(dark_photo, plan.sigma * 3, True, with_bases=True)
    assert other.bases_for(plan) is None
    calm = e.plan(dark_photo, EnhanceSettings(denoise=0.0).validated(), threads=1)
    assert ahead.bases_for(calm) is None


@pytest.mark.parametrize("broken", ["noise_and_mean", "view_samples", "colour_copy",
                                    "downscale"])
def test_a_failure_while_planning_on_two_cores_leaves_neither_core_waiting(
        dark_photo, monkeypatch, broken):
    """A new photo is planned on two cores that wait for each other's pieces (the noise
    there, the samples here, the net's copy there): either side failing
    ends both, with the error, and the next photo is planned as usual."""
    from concurrent.futures import TimeoutError as Timeout

    from app.core.engine import analysis, parallel, resample

    started = []
    start = parallel.start
    monkeypatch.setattr(parallel, "start", lambda piece: started.append(start(piece)) or
                        started[-1])

    def fail(*args):
        raise RuntimeError("disk on fire")

    e = Enhancer()
    if broken == "downscale":  # the net's copy, made on the other core
        monkeypatch.setattr(resample, broken, fail)
    else:
        monkeypatch.setattr(analysis, broken, fail)
    with pytest.raises(RuntimeError, match="disk on fire"):
        e.enhance(dark_photo, threads=2)
    try:  # the other core ended too (with the error), rather than waiting for the noise
        assert isinstance(started[0].exception(timeout=60), RuntimeError)
    except Timeout:
        pytest.fail("the other core is still waiting")
    monkeypatch.undo()
    np.testing.assert_array_equal(e.enhance(dark_photo, threads=2).image,
                                  e.enhance(dark_photo, threads=1).image)


def test_brightness_planes_found_for_another_noise_are_not_used(dark_photo):
    e = Enhancer()
    plan = e.plan(dark_photo, EnhanceSettings().validated(), threads=1)
    right = pipeline.luma(dark_photo, plan.sigma, True)
    wrong = pipeline.luma(dark_photo, plan.sigma * 3, True)
    plain = pipeline.render(dark_photo, plan, threads=1)
    np.testing.assert_array_equal(pipeline.render(dark_photo, plan, threads=1, known=right),
                                  plain)
    np.testing.assert_array_equal(pipeline.render(dark_photo, plan, threads=1, known=wrong),
                                  plain)
    assert not np.array_equal(right.despeckled, wrong.despeckled)


@pytest.mark.parametrize("backend", ["opencv", "onnx"])
@pytest.mark.parametrize("threads, height", [(2, 75), (3, 61)])
def test_efe_in_strips_matches_one_run(backend, threads, height, monkeypatch):
    from app.core.engine.backends import strips

    efe = Enhancer(backend=backend, threads=threads).efe
    small = np.random.default_rng(3).random((height, 100, 3), dtype=np.float32) * 0.3
    whole = efe.factor(small, 0.6, threads=1)
    monkeypatch.setattr(strips, "LARGE_INPUT", 1500)  # big maps always run in strips
    np.testing.assert_allclose(efe.factor(small, 0.6), whole, atol=1e-6)
    # the check can see seams: with too little context the strips' edges are wrong
    monkeypatch.setattr(strips, "HALO", 0)
    assert np.abs(efe.factor(small, 0.6) - whole).max() > 1e-3


def test_same_photo_same_bytes(enhancer, dark_photo):
    """Dither is a fixed pattern by position: batch, window and cluster write equal files."""
    a = enhancer.enhance(dark_photo).image
    np.testing.assert_array_equal(a, enhancer.enhance(dark_photo.copy()).image)


def test_bad_arguments_are_clear_errors(enhancer, dark_photo):
    with pytest.raises(ValueError, match="exposure"):
        enhancer.enhance(dark_photo, exposure=3)
    with pytest.raises(ValueError, match="exposure"):
        enhancer.enhance(dark_photo, exposure="bright")
    with pytest.raises(ValueError, match="iterations"):
        enhancer.enhance(dark_photo, iterations=0)
    with pytest.raises(ValueError, match="denoise"):
        enhancer.enhance(dark_photo, denoise=5)
    with pytest.raises(ValueError, match="uint8 or uint16"):
        enhancer.enhance(dark_photo.astype(np.float64))
    with pytest.raises(FileNotFoundError):
        Enhancer("/nonexistent/weights.pt")


def test_settings_take_words_and_numbers():
    s = EnhanceSettings(exposure="Auto", denoise="off").validated()
    assert s.exposure == "auto" and s.denoise == 0.0 and s.denoise_strength == 0.0
    s = EnhanceSettings(exposure="0.5", denoise="1.5").validated()
    assert s.exposure == 0.5 and s.denoise == 1.5
    assert EnhanceSettings().validated().denoise_strength == 1.0


@pytest.mark.parametrize("use_numba", [True, False])
def test_the_smallest_photos_are_brightened_as_any_flat_photo(use_numba):
    """A one-pixel photo has no neighbours to despeckle against: it was taken to NaN (black,
    and a table read outside the gain table that could crash); now every flat photo, one
    pixel to 3x3, gray or colour, comes out alike, on every path."""
    e = Enhancer(use_numba=use_numba)
    expected = e.enhance(np.full((3, 3, 3), 10, np.uint8)).image
    assert expected.min() > 90  # brightened (the dither moves a pixel by a level)
    for shape in [(1, 1, 3), (1, 2, 3), (2, 1, 3), (2, 2, 3)]:
        for threads in (1, 2):
            out = e.enhance(np.full(shape, 10, np.uint8), threads=threads).image
            np.testing.assert_array_equal(out, expected[:shape[0], :shape[1]])
    gray = e.enhance(np.full((1, 1), 10, np.uint8)).image
    assert abs(int(gray[0, 0]) - int(expected[0, 0, 0])) <= 1


def test_very_wide_and_very_tall_images(enhancer):
    wide = np.full((20, 12000, 3), 25, np.uint8)
    tall = np.full((4000, 3, 3), 25, np.uint8)
    for img in (wide, tall):
        out = enhancer.enhance(img).image
        assert out.shape == img.shape and out.mean() > 50


@pytest.mark.parametrize("look", [{}, {"shadows": 1.0, "highlights": -1.0, "contrast": 1.0},
                                  {"shadows": -1.0, "highlights": 1.0, "contrast": -1.0}])
def test_gain_tables_fold_strength_fade_and_look(look):
    from app.core.engine.exposure import Tone
    g, lg, white = pixel_stage.gain_tables(Tone(2.0, 1.5, black=0.01, pivot=0.4, **look))
    g_half, lg_half, white_half = pixel_stage.gain_tables(
        Tone(2.0, 1.5, fade=0.5, black=0.01, pivot=0.4, **look))
    np.testing.assert_allclose(lg_half, lg * 0.5, atol=1e-5)
    # what is pushed past white goes pale, what is not brightened keeps its colour
    assert 0.3 < white.max() <= 1.0 and white.min() >= 0.0
    assert (white[g <= 1.0] == 0).all()
    assert (white_half <= white + 1e-6).all()
    np.testing.assert_allclose(np.log2(g), lg, atol=1e-4)
    assert g.max() <= 32.0 + 1e-3  # the 5-stop cap
    # the exposed brightness never falls as the illumination rises (no tone inversion; the
    # columns are the square root of the illumination)
    levels = np.linspace(0, 1, g.shape[1]) ** 2
    assert (np.diff(g * levels, axis=1) >= -1e-4).all()
    assert (g * levels <= 1.0 + 1e-4).all()  # and stays below white


def test_the_kernel_reads_each_pixels_gain_from_its_cells_four_corners():
    """The kernel's corner table holds, for every cell of the gain grid, the gain and the
    white share at its four corners: reading it bilinearly gives cv2.remap's bilinear read of
    the tables (read_tables: what the numpy twin and the plan read), and it is made once for
    a photo's tables."""
    from app.core.engine.exposure import Tone
    tables = pixel_stage.gain_tables(Tone(2.5, 1.5, black=0.01, pivot=0.4))
    cells = pixel_stage.corner_table(tables)
    assert pixel_stage.corner_table(tables) is cells
    assert cells.shape == (pixel_stage.TABLE_FACTORS - 1, pixel_stage.TABLE_LEVELS - 1, 8)
    rng = np.random.default_rng(3)
    light = rng.random(500).astype(np.float32)
    x_r = rng.uniform(-1, 1, 500).astype(np.float32)
    fc = np.sqrt(light) * np.float32(pixel_stage.TABLE_LEVELS - 1)
    fr = (x_r + 1) * np.float32((pixel_stage.TABLE_FACTORS - 1) / 2)
    c0 = np.minimum(fc.astype(int), cells.shape[1] - 1)
    r0 = np.minimum(fr.astype(int), cells.shape[0] - 1)
    tc, tr = (fc - c0)[:, None], (fr - r0)[:, None]
    corner = cells[r0, c0]
    top = corner[:, [0, 4]] + (corner[:, [1, 5]] - corner[:, [0, 4]]) * tc
    bottom = corner[:, [2, 6]] + (corner[:, [3, 7]] - corner[:, [2, 6]]) * tc
    read = top + (bottom - top) * tr
    gain, white = pixel_stage.read_tables((tables[0], tables[2]), light[None], x_r[None])
    # remap weighs its taps in 1/32 steps: within that of the gain's local slope
    np.testing.assert_allclose(read[:, 0], gain[0], rtol=0.02)
    np.testing.assert_allclose(read[:, 1], white[0], atol=0.02)
    assert not np.array_equal(cells[:, :, 0], cells[:, :, 3])  # the corners differ


def test_the_same_pixels_give_the_same_bytes_whatever_ran_before(dark_photo):
    """The engine keeps no analysis between calls (a new photo in a reused buffer once got
    the old photo's noise and colour); the caller holds an analysis as a value."""
    e = Enhancer()
    img = dark_photo.copy()
    first = e.enhance(img, exposure=0.4)
    img[:] = np.flipud(dark_photo)  # same buffer, other pixels
    edited = e.enhance(img, exposure=0.4)
    np.testing.assert_array_equal(edited.image, Enhancer().enhance(img, exposure=0.4).image)
    assert not np.array_equal(edited.image, first.image)
    # a kept analysis plans exactly as a fresh one does, and is what the plan's colour uses
    analysis = e.analyse(img)
    kept = e.plan(img, EnhanceSettings(exposure=0.5).validated(), analysis=analysis)
    fresh = e.plan(img, EnhanceSettings(exposure=0.5).validated())
    assert kept.colour is analysis.colour
    np.testing.assert_array_equal(e.render(img, kept), e.render(img, fresh))


def _flushes_subnormals() -> bool:
    return float((np.array([1e-39], np.float32) * np.float32(1.0))[0]) == 0.0


@pytest.mark.parametrize("backend", ["opencv", "onnx", "torch"])
def test_the_engine_leaves_the_threads_floating_point_mode_alone(backend, dark_photo):
    """Flush-to-zero set by an engine stayed on in its thread and in every thread started
    from it, x264's included, whose rate control then gave other bytes for the same frames
    (the cluster's byte-for-byte tests failed 1 run in 2)."""
    import threading

    assert not _flushes_subnormals()
    Enhancer(backend=backend).enhance(dark_photo)
    seen = []
    worker = threading.Thread(target=lambda: seen.append(_flushes_subnormals()))
    worker.start()
    worker.join()
    assert seen == [False] and not _flushes_subnormals()
