"""Data sets for the network reproductions: scikit-learn's bundled ones, an IDX reader for MNIST files and a
reader for the Hillenbrand et al. (1995) vowel measurements.

Nothing is downloaded: scikit-learn ships the 8×8 digits and Iris; users who have the MNIST IDX files
(``train-images-idx3-ubyte[.gz]`` …) load them with :func:`load_idx` / :func:`load_mnist`, and those who have
the vowel data set's ``vowdata.dat`` with :func:`load_hillenbrand`.
"""

from __future__ import annotations

import gzip
import struct
from pathlib import Path

import numpy as np

_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: np.dtype(">i2"), 0x0C: np.dtype(">i4"),
              0x0D: np.dtype(">f4"), 0x0E: np.dtype(">f8")}


def _sklearn_datasets():
    try:
        from sklearn import datasets
    except ImportError:
        raise ImportError("the reproductions need scikit-learn's bundled data sets: pip install 'mtjhw[networks]'") \
            from None
    return datasets


def load_idx(path: str | Path) -> np.ndarray:
    """An array from an IDX file (the MNIST format), plain or gzip-compressed."""
    path = Path(path)
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rb") as f:
        data = f.read()
    if len(data) < 4 or data[0] != 0 or data[1] != 0 or data[2] not in _IDX_TYPES:
        raise ValueError(f"{path}: not an IDX file (bad magic number)")
    ndim = data[3]
    shape = struct.unpack(f">{ndim}I", data[4:4 + 4 * ndim])
    dtype = np.dtype(_IDX_TYPES[data[2]])
    count = int(np.prod(shape))
    body = data[4 + 4 * ndim:]
    if len(body) != count * dtype.itemsize:
        raise ValueError(f"{path}: {len(body)} data bytes, expected {count * dtype.itemsize} for shape {shape}")
    return np.frombuffer(body, dtype=dtype).reshape(shape)


def load_mnist(directory: str | Path, kind: str = "train") -> tuple[np.ndarray, np.ndarray]:
    """(images (n, 28, 28) uint8, labels (n,)) from MNIST IDX files in ``directory``; ``kind`` 'train' or 't10k'."""
    directory = Path(directory)
    found = {}
    for part, stem in (("images", f"{kind}-images-idx3-ubyte"), ("labels", f"{kind}-labels-idx1-ubyte")):
        candidates = [directory / stem, directory / f"{stem}.gz", directory / stem.replace("-idx", ".idx")]
        path = next((c for c in candidates if c.exists()), None)
        if path is None:
            raise FileNotFoundError(f"no {stem}[.gz] in {directory}")
        found[part] = load_idx(path)
    return found["images"], found["labels"]


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's 8×8 handwritten digits: (images (1797, 64) in 0..16, labels)."""
    d = _sklearn_datasets().load_digits()
    return d.data, d.target


def load_iris() -> tuple[np.ndarray, np.ndarray]:
    """Iris: (features (150, 4) in cm, labels 0..2)."""
    d = _sklearn_datasets().load_iris()
    return d.data, d.target


def split(n: int, test_fraction: float, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Random train/test index split."""
    order = rng.permutation(n)
    n_test = int(round(test_fraction * n))
    return order[n_test:], order[:n_test]


def load_scaled_idx(directory: str | Path) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """MNIST-format IDX files (MNIST or Fashion-MNIST) in ``directory``: flattened train images in [0, 1], train
    labels, test images, test labels."""
    xtr, ytr = load_mnist(directory, "train")
    xte, yte = load_mnist(directory, "t10k")
    flat = lambda images: images.reshape(len(images), -1) / 255.0  # noqa: E731
    return flat(xtr), ytr.astype(int), flat(xte), yte.astype(int)


def load_image_split(idx_dir: str | Path | None, rng: np.random.Generator, test_fraction: float = 0.25
                     ) -> tuple[str, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(data set name, x_train, y_train, x_test, y_test), pixels in [0, 1]: scikit-learn's 8×8 digits split at
    random by ``rng``, or the IDX files' own train/test sets when ``idx_dir`` is given."""
    if idx_dir is not None:
        return (f"IDX files in {idx_dir} (MNIST or Fashion-MNIST)", *load_scaled_idx(idx_dir))
    images, labels = load_digits()
    x = images / 16.0
    train, test = split(len(x), test_fraction, rng)
    return "sklearn digits 8x8", x[train], labels[train], x[test], labels[test]


def load_hillenbrand(path: str | Path, vowels: list[str], group: str = "w") -> tuple[np.ndarray, np.ndarray,
                                                                                        np.ndarray]:
    """(steady-state (F1, F2) in Hz (n, 2), labels (index in ``vowels``), talker numbers) of the talkers of
    ``group`` (m, w, b, g) in Hillenbrand et al.'s ``vowdata.dat``: one row per token named ``wNNvv`` (group,
    talker, vowel), F1 and F2 in its 4th and 5th columns; tokens with an unmeasured formant (0) are left out."""
    rows = []
    for line in Path(path).read_text(errors="replace").splitlines():
        fields = line.split()
        if len(fields) < 5 or len(fields[0]) != 5 or not fields[0][1:3].isdigit() or fields[0][0] != group:
            continue
        vowel, f1, f2 = fields[0][3:], float(fields[3]), float(fields[4])
        if vowel in vowels and f1 > 0 and f2 > 0:
            rows.append((f1, f2, vowels.index(vowel), int(fields[0][1:3])))
    if not rows:
        raise ValueError(f"{path}: no {group!r} tokens of {', '.join(vowels)}: not Hillenbrand's vowdata.dat?")
    data = np.array(rows)
    return data[:, :2], data[:, 2].astype(int), data[:, 3].astype(int)

