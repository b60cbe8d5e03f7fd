"""Raw fixtures: Kaggle's top-level layouts, determinism, and the validity of every hand-written media format.

Media writers are checked against independent readers: the standard library (``wave``, ``aifc``, ``zlib``),
brute-force parsers written here (JPEG entropy decoding, TIFF IFD, BMP, DICOM elements) and round trips
through the preparers' own PNG and TFRecord readers.
"""

from __future__ import annotations

import hashlib
import io
import struct
import warnings
import wave
import zlib

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mle_datasets.errors import DataError, RawDataError
from mle_datasets.fixtures import fixture_ids, make_raw_fixture
from mle_datasets.fixtures.media import (
    aiff_bytes, bmp_bytes, dicom_bytes, example_bytes, jpeg_bytes, png_bytes, tfrecord_bytes, tiff_bytes, wav_bytes,
)
from mle_datasets.preparers._media import crc32c, example_bytes_feature, iter_tfrecords, masked_crc32c, read_png_gray
from mle_datasets.preparers._media import tfrecord_ids

RAW_LAYOUT = {
    "aerial-cactus-identification": {"train.csv", "sample_submission.csv", "train.zip", "test.zip"},
    "aptos2019-blindness-detection": {"train.csv", "test.csv", "sample_submission.csv", "train_images", "test_images"},
    "denoising-dirty-documents": {"train.zip", "train_cleaned.zip", "test.zip", "sampleSubmission.csv.zip"},
    "detecting-insults-in-social-commentary": {"train.csv", "test.csv", "test_with_solutions.csv",
                                               "sample_submission_null.csv"},
    "dog-breed-identification": {"labels.csv", "sample_submission.csv", "train", "test"},
    "dogs-vs-cats-redux-kernels-edition": {"train.zip", "test.zip", "sample_submission.csv"},
    "histopathologic-cancer-detection": {"train_labels.csv", "sample_submission.csv", "train", "test"},
    "jigsaw-toxic-comment-classification-challenge": {"train.csv.zip", "test.csv.zip", "test_labels.csv.zip",
                                                      "sample_submission.csv.zip"},
    "leaf-classification": {"train.csv.zip", "test.csv.zip", "sample_submission.csv.zip", "images.zip"},
    "mlsp-2013-birds": {"mlsp_contest_dataset.zip"},
    "new-york-city-taxi-fare-prediction": {"train.csv", "test.csv", "sample_submission.csv",
                                           "GCP-Coupons-Instructions.rtf"},
    "nomad2018-predict-transparent-conductors": {"train.csv.zip", "test.csv.zip", "train.zip", "test.zip",
                                                 "sample_submission.csv.zip"},
    "plant-pathology-2020-fgvc7": {"train.csv", "test.csv", "sample_submission.csv", "images"},
    "random-acts-of-pizza": {"train.json", "test.json", "train.json.zip", "test.json.zip", "sampleSubmission.csv"},
    "ranzcr-clip-catheter-line-classification": {"train.csv", "train_annotations.csv", "sample_submission.csv",
                                                 "train", "test"},
    "siim-isic-melanoma-classification": {"train.csv", "test.csv", "sample_submission.csv", "train", "test", "jpeg",
                                          "tfrecords"},
    "spooky-author-identification": {"train.zip", "test.zip", "sample_submission.zip"},
    "tabular-playground-series-dec-2021": {"train.csv", "test.csv", "sample_submission.csv"},
    "tabular-playground-series-may-2022": {"train.csv", "test.csv", "sample_submission.csv"},
    "text-normalization-challenge-english-language": {"en_train.csv.zip", "en_test.csv.zip", "en_test_2.csv.zip",
                                                      "en_sample_submission.csv.zip", "en_sample_submission_2.csv.zip"},
    "text-normalization-challenge-russian-language": {"ru_train.csv.zip", "ru_test.csv.zip", "ru_test_2.csv.zip",
                                                      "ru_sample_submission.csv.zip", "ru_sample_submission_2.csv.zip"},
    "the-icml-2013-whale-challenge-right-whale-redux": {"train2.zip", "test2.zip", "sampleSubmission.csv"},
}
SMALL = [c for c in sorted(RAW_LAYOUT) if c != "tabular-playground-series-may-2022"]


def digest(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*")) if p.is_file()}


# ------------------------------------------------------------------------------------------------ fixtures
def test_every_lite_competition_has_a_fixture():
    import competitions

    assert sorted(RAW_LAYOUT) == competitions.ids("lite")
    assert set(RAW_LAYOUT) <= set(fixture_ids())


def test_every_fixture_has_a_preparer_and_a_spec():
    import competitions
    from mle_datasets.preparers import preparer_ids

    assert set(fixture_ids()) == set(preparer_ids()) and set(fixture_ids()) <= set(competitions.ids())


@pytest.mark.parametrize("cid", SMALL)
def test_fixture_layout_and_determinism(cid, tmp_path):
    first = make_raw_fixture(cid, tmp_path / "a", seed=0)
    assert first == tmp_path / "a"
    assert {p.name for p in first.iterdir()} == RAW_LAYOUT[cid]
    assert digest(first) == digest(make_raw_fixture(cid, tmp_path / "b", seed=0))


@pytest.mark.parametrize("cid", ["spooky-author-identification", "aerial-cactus-identification"])
def test_other_seed_other_content(cid, tmp_path):
    assert digest(make_raw_fixture(cid, tmp_path / "a", seed=0)) != digest(make_raw_fixture(cid, tmp_path / "b", seed=1))
    raw = make_raw_fixture(cid, tmp_path / "c", seed=1)
    from mle_datasets.preparers import get_preparer

    get_preparer(cid).check_raw(raw)


def test_unknown_fixture_is_a_clear_error(tmp_path):
    with pytest.raises(DataError, match="no raw fixture for competition 'nope'"):
        make_raw_fixture("nope", tmp_path)


# --------------------------------------------------------------------------------------------------- PNG
@settings(max_examples=25, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.sampled_from([1, 3, 4]), st.lists(st.integers(0, 4), min_size=1, max_size=5),
       st.integers(0, 2**32 - 1))
def test_png_round_trip_every_filter(height, width, channels, filters, seed):
    rng = np.random.default_rng(seed)
    shape = (height, width) if channels == 1 else (height, width, channels)
    pixels = rng.integers(0, 256, shape, dtype=np.uint8)
    decoded = read_png_gray(png_bytes(pixels, filters=filters))
    if channels == 1:
        expected = pixels
    else:  # Pillow's convert("L"): ITU-R 601-2 luma with 16-bit fixed point weights
        rgb = pixels[..., :3].astype(np.int64)
        expected = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16
    np.testing.assert_array_equal(decoded, expected)


def test_png_palette_and_zlib_stream():
    palette = bytes([0, 0, 0, 255, 255, 255, 255, 0, 0])
    indices = np.array([[0, 1, 2], [2, 1, 0]], np.uint8)
    raw = b"".join(b"\x00" + row.tobytes() for row in indices)

    def chunk(kind, body):
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    data = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 3, 2, 8, 3, 0, 0, 0))
            + chunk(b"PLTE", palette) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    assert read_png_gray(data).tolist() == [[0, 255, 76], [76, 255, 0]]
    grey = png_bytes(np.array([[7, 9]], np.uint8))
    idat = grey[grey.index(b"IDAT") + 4:grey.index(b"IEND") - 8]
    assert zlib.decompress(idat) == b"\x00\x07\x09"


def test_png_truncated_is_a_raw_error():
    data = png_bytes(np.zeros((4, 4), np.uint8))
    with pytest.raises(RawDataError):
        read_png_gray(data[:30])
    with pytest.raises(RawDataError, match="not a PNG"):
        read_png_gray(b"GIF89a")


# -------------------------------------------------------------------------------------------------- JPEG
def _decode_dc_jpeg(data: bytes) -> np.ndarray:
    """Brute-force baseline decoder for DC-only scans: returns each component's block means."""
    assert data[:2] == b"\xff\xd8" and data[-2:] == b"\xff\xd9"
    pos, tables, frame = 2, {}, None
    while True:
        marker, length = struct.unpack(">HH", data[pos:pos + 4])
        body = data[pos + 4:pos + 2 + length]
        if marker == 0xFFC0:
            _, height, width, ncomp = struct.unpack(">BHHB", body[:6])
            frame = (height, width, ncomp)
        elif marker == 0xFFC4:
            counts, symbols, code, table = body[1:17], list(body[17:]), 0, {}
            for length_bits, count in enumerate(counts, start=1):
                for _ in range(count):
                    table[(code, length_bits)] = symbols.pop(0)
                    code += 1
                code <<= 1
            tables[body[0]] = table
        elif marker == 0xFFDA:
            pos += 2 + length
            break
        pos += 2 + length
    scan = data[pos:-2].replace(b"\xff\x00", b"\xff")
    bits = "".join(f"{b:08b}" for b in scan)
    height, width, ncomp = frame
    bh, bw = -(-height // 8), -(-width // 8)
    out, pred, at = np.zeros((ncomp, bh, bw)), [0] * ncomp, 0

    def symbol(table):
        nonlocal at
        for n in range(1, 17):
            key = (int(bits[at:at + n], 2), n)
            if key in table:
                at += n
                return table[key]
        raise AssertionError("invalid Huffman code")

    for y in range(bh):
        for x in range(bw):
            for c in range(ncomp):
                size = symbol(tables[0x00])
                diff = 0
                if size:
                    raw = int(bits[at:at + size], 2)
                    at += size
                    diff = raw if raw >= 1 << (size - 1) else raw - (1 << size) + 1
                pred[c] += diff
                out[c, y, x] = pred[c] / 8 + 128
                assert symbol(tables[0x10]) == 0  # end of block
    return out


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 20), st.integers(1, 20), st.booleans(), st.integers(0, 2**32 - 1))
def test_jpeg_decodes_to_block_means(height, width, colour, seed):
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 256, (height, width, 3) if colour else (height, width), dtype=np.uint8)
    means = _decode_dc_jpeg(jpeg_bytes(pixels))
    grey = pixels @ np.array([0.299, 0.587, 0.114]) if colour else pixels.astype(float)
    padded = np.pad(grey, ((0, -height % 8), (0, -width % 8)), mode="edge")
    expected = padded.reshape(means.shape[1], 8, means.shape[2], 8).mean(axis=(1, 3))
    np.testing.assert_allclose(means[0], expected, atol=1 / 16 + 1e-9)


def test_jpeg_stuffs_ff_bytes():
    data = jpeg_bytes(np.full((8, 64), 255, np.uint8))  # large DC values produce 0xFF bytes in the scan
    scan = data[data.index(b"\xff\xda") + 12:-2]
    assert all(scan[i + 1] == 0 for i in range(len(scan) - 1) if scan[i] == 0xFF)
    _decode_dc_jpeg(data)


# ------------------------------------------------------------------------------------------- TIFF and BMP
def test_tiff_ifd_points_at_the_pixels():
    pixels = np.random.default_rng(0).integers(0, 256, (5, 7, 3), dtype=np.uint8)
    data = tiff_bytes(pixels)
    assert data[:4] == b"II*\x00"
    ifd = struct.unpack("<I", data[4:8])[0]
    count = struct.unpack("<H", data[ifd:ifd + 2])[0]
    tags = {}
    for i in range(count):
        tag, kind, n, value = struct.unpack("<HHII", data[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
        tags[tag] = value & 0xFFFF if kind == 3 and n == 1 else value
    assert (tags[256], tags[257], tags[259], tags[262], tags[277]) == (7, 5, 1, 2, 3)
    assert struct.unpack("<3H", data[tags[258]:tags[258] + 6]) == (8, 8, 8)
    start = tags[273]
    assert data[start:start + tags[279]] == pixels.tobytes()


def test_bmp_rows_are_bottom_up_bgr_and_padded():
    pixels = np.arange(2 * 3 * 3, dtype=np.uint8).reshape(2, 3, 3)
    data = bmp_bytes(pixels)
    offset, width, height, bits = struct.unpack("<I", data[10:14])[0], *struct.unpack("<iiHH", data[18:30])[:2], data[28]
    assert (width, height, bits, len(data)) == (3, 2, 24, 54 + 2 * 12)
    assert data[offset:offset + 3] == bytes(pixels[1, 0, ::-1])
    assert data[offset + 12:offset + 15] == bytes(pixels[0, 0, ::-1])


# ------------------------------------------------------------------------------------------------- audio
def test_wav_reads_back_with_the_standard_library():
    samples = np.array([0, 1000, -1000, 32767, -32768], np.int16)
    with wave.open(io.BytesIO(wav_bytes(samples, 16000))) as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate(), wav.getnframes()) == (1, 2, 16000, 5)
        assert np.frombuffer(wav.readframes(5), "<i2").tolist() == samples.tolist()


def test_aiff_reads_back_with_the_standard_library():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        aifc = pytest.importorskip("aifc")
        samples = np.array([5, -5, 300, -32768], np.int16)
        with aifc.open(io.BytesIO(aiff_bytes(samples, 2000))) as clip:
            assert (clip.getnchannels(), clip.getsampwidth(), clip.getframerate(), clip.getnframes()) == (1, 2, 2000, 4)
            assert clip.getcomptype() == b"NONE"
            assert np.frombuffer(clip.readframes(4), ">i2").tolist() == samples.tolist()


# ------------------------------------------------------------------------------------------------- DICOM
def test_dicom_elements_parse():
    pixels = np.random.default_rng(1).integers(0, 256, (3, 5, 3), dtype=np.uint8)
    data = dicom_bytes(pixels, "1.2.3.4", "IP_0000042")
    assert data[128:132] == b"DICM"
    pos, elements = 132, {}
    while pos < len(data):
        group, element = struct.unpack("<HH", data[pos:pos + 4])
        vr = data[pos + 4:pos + 6].decode()
        if vr in ("OB", "OW", "SQ", "UN", "UT"):
            length, pos = struct.unpack("<I", data[pos + 8:pos + 12])[0], pos + 12
        else:
            length, pos = struct.unpack("<H", data[pos + 6:pos + 8])[0], pos + 8
        elements[(group, element)] = data[pos:pos + length]
        pos += length
    meta_length = struct.unpack("<I", elements[(0x0002, 0x0000)])[0]
    assert meta_length == sum(len(v) + (12 if k[1] == 1 else 8) for k, v in elements.items() if k[0] == 2 and k[1])
    assert elements[(0x0002, 0x0010)].rstrip(b"\x00") == b"1.2.840.10008.1.2.1"
    assert elements[(0x0010, 0x0020)].strip() == b"IP_0000042"
    assert struct.unpack("<H", elements[(0x0028, 0x0010)])[0] == 3
    pixel_data = elements[(0x7FE0, 0x0010)]  # odd lengths are padded to even, as DICOM requires
    assert pixel_data[:pixels.nbytes] == pixels.tobytes() and len(pixel_data) == pixels.nbytes + 1


# ---------------------------------------------------------------------------------------------- TFRecord
def test_crc32c_reference_values():
    assert crc32c(b"") == 0
    assert crc32c(b"123456789") == 0xE3069283  # the CRC-32C check value
    assert crc32c(bytes(32)) == 0x8A9136AA  # RFC 3720 B.4 test vector
    assert masked_crc32c(b"") == 0xA282EAD8


def test_tfrecord_round_trip(tmp_path):
    names = [f"ISIC_{i:07d}" for i in range(5)]
    examples = [example_bytes({"image": bytes(300), "image_name": n.encode(), "target": i % 2, "age": 45.0})
                for i, n in enumerate(names)]
    path = tmp_path / "train00-2071.tfrec"
    path.write_bytes(tfrecord_bytes(examples))
    assert list(iter_tfrecords(path, verify_data=True)) == examples
    assert tfrecord_ids(path) == names
    assert example_bytes_feature(examples[0], "missing") is None
    path.write_bytes(tfrecord_bytes(examples)[:-3])
    with pytest.raises(RawDataError, match="truncated"):
        tfrecord_ids(path)
    data = bytearray(tfrecord_bytes(examples))
    data[40] ^= 1
    path.write_bytes(bytes(data))
    with pytest.raises(RawDataError, match="data checksum"):
        list(iter_tfrecords(path, verify_data=True))
